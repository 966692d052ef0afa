-- The load of `make bench-http` (Benchmarks/http/bench_http.py), for wrk:
--
--   wrk -t1 -c8 -d10s -s wrk_load.lua http://127.0.0.1:PORT -- method=GET paths=FILE \
--       range=random block=4096 size=1073741824 range_header=x-ms-range header=x-ms-version:2025-05-05
--
-- Arguments (key=value):
--   method        GET or PUT (default GET)
--   paths         a file of request targets (path and query), one a line; requests take them in
--                 turn (random=1: at random)
--   random        1: pick the target at random rather than in turn
--   range         none (default), random (an aligned block at a random offset below `size`) or
--                 sequential (consecutive blocks from offset 0, wrapping at `size`)
--   block, size   the range length and the file size, in bytes
--   range_header  the header that carries the range: Range (default) or x-ms-range
--   body          the request body's length in bytes (PUT); the same bytes for every server
--   header        Name:Value, an extra header (repeatable)
--   prebuild      requests formatted once, then sent in turn (default: 16 when there is a body,
--                 so that a 4 MiB body is not rebuilt for each request; 0 otherwise)
--
-- wrk counts responses with a status above 399 as errors; `done` prints one line
-- `WRKJSON {...}` with the totals, the socket errors and the latency percentiles for the
-- script to parse. No `response` function is defined: wrk then neither copies nor hands bodies
-- to Lua, so the client's cost per byte stays what it is for any server.

local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("thread_id", counter)
end

local method, targets, pick_random, range_mode, block, size, range_header, headers
local prebuilt, prebuilt_index, request_index, offset_index, block_count, request_body

local function body_of(length)
    -- 64 KiB of seeded pseudo-random bytes, repeated: the same bytes for every server and run.
    math.randomseed(20261121)
    local bytes = {}
    for i = 1, 65536 do
        bytes[i] = string.char(math.random(0, 255))
    end
    local unit = table.concat(bytes)
    local whole = string.rep(unit, math.floor(length / 65536))
    return whole .. string.sub(unit, 1, length % 65536)
end

local function next_target()
    if pick_random then
        return targets[math.random(1, #targets)]
    end
    request_index = request_index % #targets + 1
    return targets[request_index]
end

local function next_range()
    local index
    if range_mode == "random" then
        index = math.random(0, block_count - 1)
    else
        index = offset_index % block_count
        offset_index = offset_index + 1
    end
    local first = index * block
    return string.format("bytes=%d-%d", first, first + block - 1)
end

local function format_one(body)
    local request_headers = {}
    for name, value in pairs(headers) do
        request_headers[name] = value
    end
    if range_mode ~= "none" then
        request_headers[range_header] = next_range()
    end
    return wrk.format(method, next_target(), request_headers, body)
end

function init(args)
    local options = {}
    headers = {}
    for _, argument in ipairs(args) do
        local key, value = argument:match("^([%w_]+)=(.*)$")
        if not key then
            error("wrk_load.lua: not key=value: " .. argument)
        elseif key == "header" then
            local name, header_value = value:match("^([^:]+):(.*)$")
            headers[name] = header_value
        else
            options[key] = value
        end
    end
    method = options.method or "GET"
    pick_random = options.random == "1"
    range_mode = options.range or "none"
    block = tonumber(options.block or "0")
    size = tonumber(options.size or "0")
    range_header = options.range_header or "Range"
    targets = {}
    for line in io.lines(options.paths) do
        if #line > 0 then
            targets[#targets + 1] = line
        end
    end
    assert(#targets > 0, "wrk_load.lua: no targets in " .. options.paths)
    if range_mode ~= "none" then
        assert(block > 0 and size >= block, "wrk_load.lua: range needs block and size")
        block_count = math.floor(size / block)
    end
    local thread_id = tonumber(wrk.thread:get("thread_id") or "1") or 1
    request_index = (thread_id - 1) % #targets
    offset_index = (thread_id - 1) * 1024
    local body_length = tonumber(options.body or "0")
    if body_length > 0 then
        request_body = body_of(body_length)
    end
    math.randomseed(os.time() * 100 + thread_id)
    local count = tonumber(options.prebuild or (request_body and "16" or "0"))
    if count > 0 then
        prebuilt = {}
        for i = 1, count do
            prebuilt[i] = format_one(request_body)
        end
        prebuilt_index = 0
    end
end

function request()
    if prebuilt then
        prebuilt_index = prebuilt_index % #prebuilt + 1
        return prebuilt[prebuilt_index]
    end
    -- Not prebuilt (a new target each time): the body is the same bytes for every request.
    return format_one(request_body)
end

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        'WRKJSON {"duration_us": %d, "requests": %d, "bytes": %d, "connect_errors": %d, ' ..
        '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
        '"latency_mean_us": %.1f, "latency_p50_us": %d, "latency_p90_us": %d, ' ..
        '"latency_p99_us": %d, "latency_max_us": %d}\n',
        summary.duration, summary.requests, summary.bytes, errors.connect, errors.read,
        errors.write, errors.status, errors.timeout, latency.mean, latency:percentile(50),
        latency:percentile(90), latency:percentile(99), latency.max))
end
