import Backup
import ServiceLifecycle

/// Runs the Backup front's policy scheduler as a service of `sharecore serve`, until shutdown.
struct BackupSchedulerService: Service {
    let scheduler: BackupScheduler

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await scheduler.run()
        }
    }
}
