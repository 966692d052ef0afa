import CoreMetrics
import FrontKit
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import ShareCore

/// What `sharecore serve` measures, reported through swift-metrics and exposed in Prometheus's
/// text format on the admin port (`/metrics`). Without `--admin-port` no backend is
/// bootstrapped and every metric is a no-op.
///
/// - `sharecore_requests_total{front,operation,status}` and
///   `sharecore_request_duration_seconds{front,operation}` (histogram), per answered request;
/// - `sharecore_request_body_bytes_total{front}`, `sharecore_response_body_bytes_total{front}`;
/// - `sharecore_open_connections{front}`;
/// - from the engine: `sharecore_commit_batch_operations` (histogram of operations per commit)
///   and `sharecore_commit_duration_seconds` (histogram: a commit with its syncs);
/// - at each scrape: `sharecore_store_bytes` and `sharecore_store_free_disk_bytes`.
enum ServerMetrics {
    /// Bootstraps the Prometheus backend (once per process) and returns its registry.
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["sharecore_commit_batch_operations"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// Counts one answered request.
    static func request(front: String, operation: String?, status: Int, duration: Duration) {
        let key = RequestKey(front: front, operation: operation ?? "unknown", status: status)
        let (counter, timer) = requestMetrics.withLockedValue { made in
            if let found = made[key] { return found }
            let new = (CoreMetrics.Counter(label: "sharecore_requests_total",
                                           dimensions: [("front", key.front), ("operation", key.operation), ("status", String(status))]),
                       CoreMetrics.Timer(label: "sharecore_request_duration_seconds",
                                         dimensions: [("front", key.front), ("operation", key.operation)]))
            made[key] = new
            return new
        }
        counter.increment()
        timer.record(duration: duration)
    }

    private struct RequestKey: Hashable {
        let front: String
        let operation: String
        let status: Int
    }

    /// The metrics of each kind of answer, made on its first request (looking them up in the
    /// backend's registry by their labels cost 3% of a small request).
    private static let requestMetrics = NIOLockedValueBox<[RequestKey: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    /// Counts a connection accepted by `front`'s server (``ConnectionGuard``).
    static func connectionOpened(front: String) {
        Meter(label: "sharecore_open_connections", dimensions: [("front", front)]).increment()
    }

    /// Counts a connection of `front`'s server closed.
    static func connectionClosed(front: String) {
        Meter(label: "sharecore_open_connections", dimensions: [("front", front)]).decrement()
    }

    /// Sets the store gauges just before a scrape.
    static func sample(_ store: ShareStore) {
        Gauge(label: "sharecore_store_bytes").record(store.storedBytes)
        if let free = store.freeDiskBytes { Gauge(label: "sharecore_store_free_disk_bytes").record(free) }
    }
}

/// The body byte counters of one front, made once (they are bumped for every buffer).
struct BodyByteCounters: Sendable {
    /// `sharecore_request_body_bytes_total{front}`.
    let received: CoreMetrics.Counter
    /// `sharecore_response_body_bytes_total{front}`.
    let sent: CoreMetrics.Counter

    init(front: String) {
        received = CoreMetrics.Counter(label: "sharecore_request_body_bytes_total", dimensions: [("front", front)])
        sent = CoreMetrics.Counter(label: "sharecore_response_body_bytes_total", dimensions: [("front", front)])
    }
}
