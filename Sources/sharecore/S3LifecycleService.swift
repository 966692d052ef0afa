import S3
import ServiceLifecycle

/// Runs the S3 front's lifecycle rules (``S3LifecycleWorker``) as a service of `sharecore serve`,
/// until shutdown.
struct S3LifecycleService: Service {
    let worker: S3LifecycleWorker

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await worker.run()
        }
    }
}
