import FrontKit
import HTTPTypes
import Prometheus
import ShareCore

/// The admin port (`--admin-port`, off by default): `GET /healthz` and `GET /metrics`.
///
/// - `/healthz`: 200 `{"status":"ok",...}` when the store answers a read, else 503 with
///   `{"status":"unavailable","error":...}`: for load balancers and supervisors.
/// - `/metrics`: every metric of ``ServerMetrics`` in Prometheus's text format (0.0.4).
///
/// It binds to `--host` like the fronts; it shows no data, only figures.
struct AdminFront: HTTPFront {
    let store: ShareStore
    let registry: PrometheusCollectorRegistry

    var name: String { "admin" }

    func respond(to request: FrontRequest) async -> FrontResponse {
        let path = request.head.path.map { String($0.prefix { $0 != "?" }) } ?? "/"
        guard request.head.method == .get || request.head.method == .head else {
            var fields = HTTPFields()
            fields[.allow] = "GET, HEAD"
            return answer(.methodNotAllowed, #"{"error":"only GET and HEAD"}"#, type: "application/json", fields, request)
        }
        switch path {
        case "/healthz":
            do {
                _ = try await store.listShares(maxResults: 1)
                let free = store.freeDiskBytes.map(String.init) ?? "null"
                return answer(.ok, #"{"status":"ok","storeBytes":\#(store.storedBytes),"freeDiskBytes":\#(free)}"#,
                              type: "application/json", [:], request)
            } catch {
                let message = "\(error)".replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                return answer(.serviceUnavailable, #"{"status":"unavailable","error":"\#(message)"}"#,
                              type: "application/json", [:], request)
            }
        case "/metrics":
            ServerMetrics.sample(store)
            var text: [UInt8] = []
            registry.emit(into: &text)
            var response = answer(.ok, "", type: "text/plain; version=0.0.4; charset=utf-8", [:], request)
            response.head.headerFields[.contentLength] = String(text.count)
            if request.head.method == .get { response.body = .bytes(text) }
            response.operation = "metrics"
            return response
        default:
            return answer(.notFound, #"{"error":"unknown path; try /healthz or /metrics"}"#, type: "application/json", [:], request)
        }
    }

    private func answer(_ status: HTTPResponse.Status, _ body: String, type: String, _ extra: HTTPFields,
                        _ request: FrontRequest) -> FrontResponse {
        var fields = extra
        fields[.contentType] = type
        fields[.cacheControl] = "no-store"
        let bytes = Array(body.utf8)
        fields[.contentLength] = String(bytes.count)
        var response = FrontResponse(status: status, headers: fields, body: request.head.method == .head ? .empty : .bytes(bytes))
        response.operation = status == .notFound ? nil : String(request.head.path?.dropFirst().prefix { $0 != "?" } ?? "")
        return response
    }
}
