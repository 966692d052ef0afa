import ArgumentParser
import Backup
import FileREST
import Foundation
import FrontKit
import IISFiles
import S3
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import ShareCore

/// `sharecore serve`: every front in one process, on the contract's default ports.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the protocol fronts (FileREST, S3, Backup, IIS Files) on one store.",
        discussion: "A port of 0 turns that front off. Stops cleanly on SIGINT and SIGTERM."
    )

    @Option(name: .long, help: "The data directory.")
    var data: String = "./sharecore-data"

    @Option(name: .long, help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("file-port"), help: "FileREST (Azure Files REST API) port; 0 turns it off.")
    var filePort: Int = 10004

    @Option(name: .customLong("s3-port"), help: "S3 port; 0 turns it off.")
    var s3Port: Int = 9000

    @Option(name: .customLong("mgmt-port"), help: "Backup (Azure Backup management API) port; 0 turns it off.")
    var mgmtPort: Int = 10005

    @Option(name: .customLong("s3-access-key"), help: "S3 access key id (default: the account name).")
    var s3AccessKey: String?

    @Option(name: .customLong("s3-secret-key"), help: "S3 secret access key (default: the account key).")
    var s3SecretKey: String?

    @Option(name: .long,
            help: "basic: accept Microsoft Entra bearer tokens on FileREST over HTTPS, checking their claims but not their signature (as Azurite's --oauth basic).")
    var oauth: String?

    @Option(name: .customLong("s3-region"),
            help: "The S3 region this server is (GetBucketLocation, x-amz-bucket-region; outside us-east-1 re-creating an owned bucket is 409 BucketAlreadyOwnedByYou).")
    var s3Region: String = "us-east-1"

    @Flag(name: .customLong("s3-sse-c-over-http"),
          help: "Accept S3 SSE-C keys over plain HTTP (S3 refuses them outside HTTPS; for test rigs on loopback).")
    var s3CustomerKeysOverHTTP = false

    @Option(name: .customLong("s3-kms-key-id"),
            help: "A KMS key id S3 SSE-KMS may name (repeatable); the key is derived from the store's content key and the id. None by default: SSE-KMS is refused.")
    var s3KMSKeyIds: [String] = []

    @Option(name: .customLong("iis-port"), help: "IIS Files (IIS Administration /api/files) port; 0 turns it off.")
    var iisPort: Int = 55539

    @Option(name: .long, help: "The storage account name.")
    var account: String = "devstoreaccount1"

    @Option(name: .customLong("account-key"), help: "The account key (base64).")
    var accountKey: String = FileRESTConfiguration.developmentKey

    @Option(name: .customLong("admin-port"), help: "Port of /healthz and /metrics (Prometheus); 0 (the default) turns it off.")
    var adminPort: Int = 0

    @Option(name: .customLong("admin-token"),
            help: "The bearer token of the Backup and IIS Files fronts (default: generated once into DATA/admin-token).")
    var adminToken: String?

    @Option(name: .customLong("tls-cert"), help: "A PEM certificate (chain): serve every front over HTTPS. Needs --tls-key.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: [.customLong("clock-offset"), .customLong("backup-clock-offset")],
            help: "Testing only: every front's background work (Backup policies, S3 lifecycle rules) and the Backup front run this many seconds ahead of the system clock (default 0; --backup-clock-offset is an alias).")
    var backupClockOffset: Int64 = 0

    @Option(name: .long, help: "Commit durability: full (sync every commit) or fast.")
    var durability: String = "full"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("header-timeout"), help: "Seconds a new connection may take to send its request head.")
    var headerTimeout: Int = 60
    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may pause.")
    var bodyTimeout: Int = 60
    @Option(name: .customLong("idle-timeout"), help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout: Int = 75
    @Option(name: .customLong("max-connections"), help: "Open connections over all fronts; more are answered 503.")
    var maxConnections: Int = 1024

    func validate() throws {
        guard [headerTimeout, bodyTimeout, idleTimeout, maxConnections].allSatisfy({ $0 > 0 }) else {
            throw ValidationError("timeouts and --max-connections must be positive")
        }
        guard Durability(rawValue: durability) != nil else { throw ValidationError("--durability must be full or fast") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard (0...65535).contains(filePort) else { throw ValidationError("--file-port must be 0 to 65535") }
        guard (0...65535).contains(s3Port) else { throw ValidationError("--s3-port must be 0 to 65535") }
        if let oauth, oauth != "basic" { throw ValidationError("--oauth takes only basic") }
        if oauth != nil, tlsCert == nil { throw ValidationError("--oauth needs --tls-cert and --tls-key (bearer tokens travel over HTTPS only)") }
        for keyId in s3KMSKeyIds where keyId.isEmpty || keyId.utf8.count > 200
            || !keyId.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) {
            throw ValidationError("--s3-kms-key-id '\(keyId)' must be 1 to 200 printable ASCII characters without spaces")
        }
        guard !s3Region.isEmpty, s3Region.count <= 32,
              s3Region.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw ValidationError("--s3-region must be a region name such as us-east-1 (lowercase letters, digits, hyphens)")
        }
        guard (0...65535).contains(mgmtPort) else { throw ValidationError("--mgmt-port must be 0 to 65535") }
        guard (0...3_650 * 86_400).contains(backupClockOffset) else {
            throw ValidationError("--clock-offset must be 0 to 315360000 seconds (ten years)")
        }
        guard (0...65535).contains(iisPort) else { throw ValidationError("--iis-port must be 0 to 65535") }
        guard (0...65535).contains(adminPort) else { throw ValidationError("--admin-port must be 0 to 65535") }
        guard FileRESTConfiguration(account: account, accountKey: accountKey) != nil else {
            throw ValidationError("--account-key must be base64")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if let adminToken, AdminToken.bearer("Bearer " + adminToken) != Substring(adminToken) {
            throw ValidationError("--admin-token must be non-empty, without spaces")
        }
    }

    /// The TLS configuration of --tls-cert and --tls-key, or nil for plain HTTP.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(tlsCert)
            let key = try NIOSSLPrivateKey(file: tlsKey, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                            privateKey: .privateKey(key))
        } catch {
            throw ValidationError("cannot load --tls-cert \(tlsCert) / --tls-key \(tlsKey): \(error)")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            ServerLogHandler(label: label, level: Logger.Level(rawValue: logLevel) ?? .info)
        }
        let logger = Logger(label: "sharecore")
        let tls = try tlsConfiguration()
        // Metrics are collected only when the admin port can show them.
        let registry = adminPort == 0 ? nil : ServerMetrics.bootstrap()
        let scheme = tls == nil ? "http" : "https"
        // A test-only offset (docs/BACKUP.md): retention that ends days away can be seen to end
        // by restarting with a later clock; the engine's own clock (snapshot names) is untouched.
        let offsetTicks = backupClockOffset * 10_000_000
        let backupClock: @Sendable () -> FileTime = { FileTime(ticks: FileTime.now().ticks + offsetTicks) }
        if backupClockOffset != 0 {
            logger.warning("background work and the Backup front run \(backupClockOffset) s ahead of the system clock (--clock-offset, for testing)")
        }
        let store = try await ShareStore.open(at: data, options: StoreOptions(durability: Durability(rawValue: durability) ?? .full))
        let token: AdminToken
        do {
            token = try AdminTokenFile.token(given: adminToken, dataDirectory: data)
        } catch {
            await store.close()
            throw error
        }
        var policy = ConnectionPolicy(headerTimeout: .seconds(Int64(headerTimeout)), bodyTimeout: .seconds(Int64(bodyTimeout)),
                                      idleTimeout: .seconds(Int64(idleTimeout)), maxConnections: maxConnections)
        policy.fitDescriptorLimit(logger: logger)
        MemoryPolicy.apply()
        var services: [any Service] = [HeapTrimService()]
        if filePort != 0, var config = FileRESTConfiguration(account: account, accountKey: accountKey) {
            config.acceptsUnverifiedBearerTokens = oauth == "basic"
            let front = FileRESTService(store: store, configuration: config, logger: Logger(label: "sharecore.filerest"))
            services.append(try FrontServer.application(front, host: host, port: filePort, tls: tls, logger: logger,
                                                        banner: "FileREST \(scheme)://\(host):\(filePort)/\(account)", policy: policy))
        }
        if s3Port != 0 {
            var config = S3Configuration(accessKey: s3AccessKey ?? account, secretKey: s3SecretKey ?? accountKey,
                                         region: s3Region)
            config.customerKeysOverHTTP = s3CustomerKeysOverHTTP
            config.kmsKeyIds = Set(s3KMSKeyIds)
            let front = S3Service(store: store, configuration: config, logger: Logger(label: "sharecore.s3"))
            services.append(try FrontServer.application(front, host: host, port: s3Port, tls: tls, logger: logger,
                                                        banner: "S3 \(scheme)://\(host):\(s3Port) (access key \(config.accessKey))",
                                                        policy: policy))
        }
        if mgmtPort != 0 {
            let config = BackupConfiguration(account: account, adminToken: token, fileRESTPort: filePort, fileRESTScheme: scheme)
            let front = BackupService(store: store, configuration: config, logger: Logger(label: "sharecore.backup"),
                                      clock: backupClock)
            services.append(try FrontServer.application(front, host: host, port: mgmtPort, tls: tls, logger: logger,
                                                        banner: "Backup \(scheme)://\(host):\(mgmtPort)/subscriptions/...",
                                                        policy: policy))
        }
        if iisPort != 0 {
            let config = IISFilesConfiguration(account: account, adminToken: token)
            let front: IISFilesService
            do {
                front = try await IISFilesService(store: store, configuration: config, logger: Logger(label: "sharecore.iis"))
            } catch {
                await store.close()
                throw error
            }
            services.append(try FrontServer.application(front, host: host, port: iisPort, tls: tls, logger: logger,
                                                        banner: "IIS Files \(scheme)://\(host):\(iisPort)/api/files",
                                                        policy: policy))
        }
        guard services.count > 1 else {  // the heap trimmer and at least one front
            await store.close()
            throw ValidationError("every front is turned off")
        }
        // Backup policies run whether or not the Backup front listens.
        services.append(BackupSchedulerService(scheduler: BackupScheduler(
            store: store, account: account, logger: Logger(label: "sharecore.backup.scheduler"), clock: backupClock)))
        // So do S3 lifecycle rules, whether or not the S3 front listens.
        services.append(S3LifecycleService(worker: S3LifecycleWorker(store: store, clock: backupClock)))
        if let registry {
            let admin = AdminFront(store: store, registry: registry)
            services.append(try FrontServer.application(admin, host: host, port: adminPort, tls: tls, logger: logger,
                                                        banner: "Admin \(scheme)://\(host):\(adminPort) (/healthz, /metrics)",
                                                        policy: policy))
        }
        FileHandle.standardOutput.write(Data("Admin token \(token.text) (Backup and IIS Files fronts)\n".utf8))
        _ = token
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
