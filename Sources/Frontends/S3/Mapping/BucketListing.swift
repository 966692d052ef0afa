import ShareCore

/// One object of a bucket listing.
struct ListedObject: Sendable {
    /// The key, relative to the bucket's base directory; an empty directory's key ends in `/`.
    let key: String
    /// The file's (or empty directory's) properties as the listing read them: what a page
    /// writes, and the rest through `try properties.info`.
    let properties: ListedProperties
    /// Whether the object is an empty directory (size 0, key ending in `/`).
    let isDirectory: Bool
    /// The file's content MD5 when the store knew it without reading content (its ETag).
    var md5: [UInt8]? { properties.md5 }
}

/// One page of a bucket listing, in S3 order.
struct ListingPage: Sendable {
    /// The objects of this page, in key order.
    var objects: [ListedObject]
    /// The common prefixes of this page, in order (each ends with the delimiter).
    var commonPrefixes: [String]
    /// Whether more entries follow this page.
    var isTruncated: Bool
    /// The last key or common prefix of this page (nil when the page is empty): what v1's
    /// `NextMarker` and v2's continuation token carry. Passing it back as `after` resumes
    /// right after this page.
    var nextMarker: String?
}

/// Lists the files of a share's directory tree as an S3 bucket.
///
/// The mapping:
/// - A file's key is its path relative to the bucket's base directory (`a/b/c.txt`).
/// - An empty directory is an object whose key ends in `/` (`a/d/`), of size 0; a directory
///   with children is not an object itself, only its contents are.
/// - Keys are in UTF-8 binary order of the whole key (`a.b/x` before `a/x`, `B` before `a`),
///   whatever the share's case sensitivity; names appear with the case they were stored with.
/// - `prefix` is a binary, case-sensitive byte prefix, also in case-insensitive shares.
///
/// How: a depth-first walk that orders each directory's children by their name bytes with `/`
/// appended to directory names. Every key below a child starts with that child's sort key and
/// no name contains `/`, so this yields global binary order.
///
/// In a case-sensitive share (every bucket CreateBucket makes) the engine lists names in byte
/// order already, so a directory is *streamed*: the listing seeks to the marker's name, reads
/// names in pages only as far as the page needs, and holds each directory back until the
/// names that sort between `name` and `name/` (those continuing with a byte below `/`, such as
/// `name-2` or `name.txt`) have gone by. A page then costs what it returns, not the size of the
/// directory. (Names whose first 240 bytes are equal are stored in hash order; such a run is
/// sorted before it is used.)
///
/// In a case-insensitive share the engine lists in *folded* name order, so each directory
/// visited is read completely and sorted: a page costs a full read of every directory on the
/// path to it, O(n log n) for a directory of n entries. Either way the walk never reads a
/// subtree that the prefix, the marker or a rolled-up common prefix excludes, and stops as soon
/// as the page is full.
/// A streamed directory is read with its entries' properties (with the content MD5 when
/// known, the ETag) in the same transaction, no more entries at a time than the page still
/// needs, so a file on the page costs one node lookup beside its directory entry. A directory
/// read whole is read as names only (`Share.listNames`), and the properties of the objects the
/// page returns from it (and of empty directories) are read afterwards, all in one transaction
/// (`Share.infos`), so such a page reads the directory's entries but not every entry's node.
/// An object deleted or replaced between the two reads makes the page walk again; after three
/// tries it is left out, as if the listing had come after the deletion.
enum BucketListing {
    /// One page of the bucket rooted at `base` of `share`, in S3 order.
    /// - Parameters:
    ///   - share: the share (or a snapshot of it).
    ///   - base: the bucket's directory in the share (`""`: the share's root). It never appears
    ///     in the listing; when it does not exist the engine's error is thrown as it comes.
    ///   - prefix: only keys starting with these bytes.
    ///   - delimiter: keys containing this after the prefix roll up into one common prefix,
    ///     the key up to and including the first delimiter after the prefix (nil or empty: none).
    ///   - after: only entries (keys and common prefixes) strictly greater than this; so a
    ///     marker equal to a common prefix skips that whole prefix.
    ///   - maxKeys: objects plus common prefixes on the page (0 gives an empty page that is
    ///     not truncated, as S3 does; negative counts as 0).
    static func page(_ share: Share, base: String, prefix: String, delimiter: String?, after: String?,
                     maxKeys: Int) async throws -> ListingPage {
        var baseText = Substring(base)
        while baseText.hasPrefix("/") { baseText = baseText.dropFirst() }
        while baseText.hasSuffix("/") { baseText = baseText.dropLast() }
        guard maxKeys > 0 else {
            // Still report a missing share or base directory.
            _ = try await share.list(String(baseText), maxResults: 1)
            return ListingPage(objects: [], commonPrefixes: [], isTruncated: false, nextMarker: nil)
        }
        // The walk finds the page's objects; their properties are then read in one transaction.
        // An object removed or replaced in between makes the page walk again (a page that left
        // it out could end short and look complete); after a few tries it is left out.
        var entries: [Walker.Entry] = []
        var infos: [ListedProperties?] = []  // of the entries read by path, in order
        let caseSensitive = try await share.store.shareInfo(share.name, snapshot: share.snapshot).caseSensitive
        for attempt in 1...3 {
            var walker = Walker(share: share, caseSensitive: caseSensitive, prefix: Array(prefix.utf8),
                                delimiter: delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) },
                                after: after.map { Array($0.utf8) }, limit: maxKeys + 1)
            try await walker.walk(directory: String(baseText), relative: [], isBase: true)
            entries = walker.entries
            let paths = entries.compactMap { entry -> String? in
                if case .object(_, .path(let path), _) = entry { return path }
                return nil
            }
            infos = paths.isEmpty ? [] : try await share.infos(paths)
            var next = 0
            var complete = true
            for case .object(_, .path, let isDirectory) in entries {
                if infos[next]?.isDirectory != isDirectory { complete = false }
                next += 1
            }
            if complete || attempt == 3 { break }
        }

        var page = ListingPage(objects: [], commonPrefixes: [], isTruncated: entries.count > maxKeys,
                               nextMarker: nil)
        page.objects.reserveCapacity(min(maxKeys, entries.count))
        var next = 0
        for entry in entries.prefix(maxKeys) {
            switch entry {
            case .object(let key, let source, let isDirectory):
                let properties: ListedProperties
                switch source {
                case .read(let read):
                    properties = read
                case .path:
                    defer { next += 1 }
                    // Gone or replaced since the walk (third try): left out.
                    guard let read = infos[next], read.isDirectory == isDirectory else { continue }
                    properties = read
                }
                let text = String(decoding: key, as: UTF8.self)
                page.objects.append(ListedObject(key: text, properties: properties, isDirectory: isDirectory))
                page.nextMarker = text
            case .commonPrefix(let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                page.commonPrefixes.append(text)
                page.nextMarker = text
            }
        }
        return page
    }
}

/// The state of one page's walk. All keys are UTF-8 bytes, compared bytewise.
private struct Walker {
    enum Entry {
        /// An object, with its properties or where to read them after the walk.
        case object(key: [UInt8], source: Source, isDirectory: Bool)
        case commonPrefix([UInt8])
    }

    /// Where an object's properties come from.
    enum Source {
        /// Read with its directory's listing.
        case read(ListedProperties)
        /// To be read after the walk from this path of the share.
        case path(String)
    }

    let share: Share
    /// Whether the share compares names case-sensitively: its directories are then streamed.
    let caseSensitive: Bool
    let prefix: [UInt8]
    /// Nil or non-empty.
    let delimiter: [UInt8]?
    let after: [UInt8]?
    /// Entries to collect before stopping: one more than the page holds, to know whether
    /// the listing is truncated.
    let limit: Int
    var entries: [Entry] = []
    var lastCommonPrefix: [UInt8]?

    var isFull: Bool { entries.count >= limit }

    /// Walks directory `path` of the share, whose keys start with `relative` (empty for the
    /// bucket's base, otherwise ending in `/`); `isBase` for the bucket's base, which is never
    /// listed itself.
    mutating func walk(directory path: String, relative: [UInt8], isBase: Bool) async throws {
        // Narrow the engine's listing to names that can match the rest of the prefix. The
        // engine compares folded names in case-insensitive shares, which finds a superset of
        // the binary matches; each candidate is checked bytewise below.
        var namePrefix = ""
        if relative.count < prefix.count {
            let rest = prefix[relative.count...]
            let component = rest.firstIndex(of: UInt8(ascii: "/")).map { rest[..<$0] } ?? rest
            namePrefix = String(decoding: component, as: UTF8.self)
        }
        if try await stream(directory: path, relative: relative, isBase: isBase, namePrefix: namePrefix) { return }
        var children: [(key: [UInt8], entry: DirectoryName)] = []
        var seen = 0
        var marker: String?
        do {
            repeat {
                let page = try await share.listNames(path, prefix: namePrefix, marker: marker, maxResults: 5000)
                for entry in page.entries {
                    // Drop before sorting what cannot yield an entry: outside the prefix, or a
                    // file or subtree entirely at or before the marker.
                    let key = Self.key(of: entry, in: relative)
                    guard mayYield(key) else { continue }
                    children.append((key, entry))
                }
                seen += page.entries.count
                marker = page.nextMarker
            } while marker != nil
        } catch let error as ShareCoreError
                    where !isBase && [.resourceNotFound, .notADirectory, .parentNotFound].contains(error.code) {
            // A directory removed or replaced since its parent was read: whatever `list` shows.
            return
        }

        if seen == 0 {
            // Without a name prefix the listing is complete, so the directory is empty and is an
            // object itself. (With one, its own key is shorter than the prefix: not listed.)
            if !isBase, namePrefix.isEmpty { consider(key: relative, source: .path(path), isDirectory: true) }
            return
        }
        children.sort { $0.key.lexicographicallyPrecedes($1.key) }

        for child in children {
            if isFull { return }
            try await visit(child.entry, key: child.key, in: path)
        }
    }

    /// Lists child `entry` of directory `path` (whose keys start with `relative`): a file is
    /// considered, a directory walked (or rolled up into a common prefix).
    mutating func visit(_ entry: DirectoryName, key: [UInt8], in path: String) async throws {
        guard entry.kind == .directory else {
            let source = entry.properties.map(Source.read) ?? .path(path.isEmpty ? entry.name : path + "/" + entry.name)
            consider(key: key, source: source, isDirectory: false)
            return
        }
        let childPath = path.isEmpty ? entry.name : path + "/" + entry.name
        // Every key below starts with `key`: if `key` already holds a delimiter after the
        // prefix, the whole subtree is one common prefix and is not read.
        if key.starts(with: prefix), let rolled = commonPrefix(of: key) {
            addCommonPrefix(rolled)
            return
        }
        try await walk(directory: childPath, relative: key, isBase: false)
    }

    /// The key of child `entry` of a directory whose keys start with `relative`: `relative`,
    /// the name, and `/` after a directory's name.
    static func key(of entry: DirectoryName, in relative: [UInt8]) -> [UInt8] {
        var key = relative
        key.reserveCapacity(relative.count + entry.name.utf8.count + 1)
        key.append(contentsOf: entry.name.utf8)
        if entry.kind == .directory { key.append(UInt8(ascii: "/")) }
        return key
    }

    /// Whether the child with key `key` can yield an entry: inside the prefix, and not a file
    /// or subtree entirely at or before the marker.
    func mayYield(_ key: [UInt8]) -> Bool {
        if !key.starts(with: prefix) && !prefix.starts(with: key) { return false }
        if let after, !after.lexicographicallyPrecedes(key), !after.starts(with: key) { return false }
        return true
    }

    /// Walks directory `path` by streaming its names in byte order (see ``BucketListing``);
    /// false, having listed nothing, when the share is not case-sensitive (the caller then
    /// reads and sorts the directory).
    mutating func stream(directory path: String, relative: [UInt8], isBase: Bool, namePrefix: String) async throws -> Bool {
        guard caseSensitive else { return false }
        // Where the marker points inside this directory: its component after `relative`.
        var seek: [UInt8]?
        if let after, after.count > relative.count, after.starts(with: relative) {
            let rest = after[relative.count...]
            seek = Array(rest.firstIndex(of: UInt8(ascii: "/")).map { rest[..<$0] } ?? rest)
        }
        // Entries come with their properties, so no more are read than the page still needs
        // (one more: the marker's own name, where the seek lands, is not listed again).
        func pageSize() -> Int { min(5000, max(1, limit - entries.count + 1)) }
        var page: DirectoryNamePage
        do {
            page = try await share.listNames(path, prefix: namePrefix, from: seek.map { String(decoding: $0, as: UTF8.self) },
                                             maxResults: pageSize(), withProperties: true)
        } catch let error as ShareCoreError
                    where !isBase && [.resourceNotFound, .notADirectory, .parentNotFound].contains(error.code) {
            return true  // removed or replaced since its parent was read: nothing to list
        }
        // Directories held back until every name sorting before `name/` has gone by, in order.
        var pending: [(key: [UInt8], entry: DirectoryName)] = []
        func hold(_ entry: DirectoryName, _ key: [UInt8]) {
            let at = pending.firstIndex { key.lexicographicallyPrecedes($0.key) } ?? pending.count
            pending.insert((key, entry), at: at)
        }
        // The seek starts at the marker's name; a directory whose name is a shorter piece of it,
        // followed there by a byte below `/`, sorts after the marker all the same (`d/` > `d-x`).
        if let seek {
            for cut in seek.indices.dropFirst() where seek[cut] < UInt8(ascii: "/") {
                let name = String(decoding: seek[..<cut], as: UTF8.self)
                let key = relative + seek[..<cut] + [UInt8(ascii: "/")]
                guard name.hasPrefix(namePrefix), mayYield(key) else { continue }
                let childPath = path.isEmpty ? name : path + "/" + name
                if let info = try? await share.info(childPath), info.isDirectory {
                    hold(DirectoryName(name: name, kind: .directory), key)
                }
            }
        }
        var seen = 0
        var run: [DirectoryName] = []  // names sharing their first 240 bytes, stored in hash order
        func sorted(_ run: [DirectoryName]) -> [DirectoryName] {
            run.count < 2 ? run : run.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        }
        func release(_ names: [DirectoryName]) async throws {
            for entry in names {
                let key = Self.key(of: entry, in: relative)
                guard mayYield(key) else { continue }
                while let first = pending.first, first.key.lexicographicallyPrecedes(key) {
                    pending.removeFirst()
                    if isFull { return }
                    try await visit(first.entry, key: first.key, in: path)
                }
                if isFull { return }
                if entry.kind == .directory {
                    hold(entry, key)
                } else {
                    try await visit(entry, key: key, in: path)
                }
            }
        }
        while true {
            for entry in page.entries {
                seen += 1
                if let last = run.last, entry.name.utf8.count >= 240, last.name.utf8.count >= 240,
                   entry.name.utf8.prefix(240).elementsEqual(last.name.utf8.prefix(240)) {
                    run.append(entry)
                    continue
                }
                try await release(sorted(run))
                run.removeAll(keepingCapacity: true)
                run.append(entry)
                if isFull { return true }
            }
            guard let next = page.nextMarker, !isFull else { break }
            page = try await share.listNames(path, prefix: namePrefix, marker: next, maxResults: pageSize(),
                                             withProperties: true)
        }
        try await release(sorted(run))
        for held in pending {
            if isFull { return true }
            try await visit(held.entry, key: held.key, in: path)
        }
        if seen == 0, seek == nil, !isBase, namePrefix.isEmpty {
            // A complete listing found nothing: the directory is empty, an object itself.
            consider(key: relative, source: .path(path), isDirectory: true)
        }
        return true
    }

    /// Adds the object `key` (which may roll up into a common prefix) when it is listed, with
    /// its properties or where to read them afterwards.
    mutating func consider(key: [UInt8], source: Source, isDirectory: Bool) {
        guard key.starts(with: prefix) else { return }
        if let rolled = commonPrefix(of: key) {
            addCommonPrefix(rolled)
            return
        }
        if let after, !after.lexicographicallyPrecedes(key) { return }
        entries.append(.object(key: key, source: source, isDirectory: isDirectory))
    }

    /// The common prefix `key` (which starts with the prefix) rolls up into: `key` up to the end
    /// of the first delimiter after the prefix; nil when there is none.
    func commonPrefix(of key: [UInt8]) -> [UInt8]? {
        guard let delimiter, key.count >= prefix.count + delimiter.count else { return nil }
        if delimiter.count == 1 {  // the usual `/`
            return key[prefix.count...].firstIndex(of: delimiter[0]).map { Array(key[...$0]) }
        }
        var i = prefix.count
        while i + delimiter.count <= key.count {
            if key[i..<(i + delimiter.count)].elementsEqual(delimiter) { return Array(key[..<(i + delimiter.count)]) }
            i += 1
        }
        return nil
    }

    /// Adds common prefix `rolled` once, when it sorts after the marker. Keys sharing a common
    /// prefix are adjacent in key order, so comparing with the last one added suffices.
    mutating func addCommonPrefix(_ rolled: [UInt8]) {
        if let after, !after.lexicographicallyPrecedes(rolled) { return }
        if rolled == lastCommonPrefix { return }
        lastCommonPrefix = rolled
        entries.append(.commonPrefix(rolled))
    }
}
