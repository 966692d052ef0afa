import ArgumentParser
import Backup
import Foundation
import IISFiles
import S3
import ShareCore

@main
struct SharecoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sharecore",
        abstract: "ShareCore: file shares in LMDB, served over Azure Files REST, S3 and more.",
        subcommands: [Serve.self, Check.self, BucketCommand.self, LocationCommand.self, S3Command.self]
    )
}

/// `sharecore check --data DIR`: verifies a store and names every problem.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify checksums, reference counts, directory entries and extent maps of a store.",
        discussion: "Exits 0 when the store is sound; otherwise prints each problem and exits 1."
    )

    @Option(name: .long, help: "The data directory.")
    var data: String = "./sharecore-data"

    func run() async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data + "/data.mdb", isDirectory: &isDirectory), !isDirectory.boolValue else {
            FileHandle.standardError.write(Data("sharecore check: no store at \(data)\n".utf8))
            throw ExitCode(2)
        }
        let store: ShareStore
        do {
            store = try await ShareStore.open(at: data)
        } catch let error as ShareCoreError {
            FileHandle.standardError.write(Data("sharecore check: cannot open the store: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        let report = try await store.check(verifiers: FrontRecordVerifiers.all)
        await store.close()
        for problem in report.problems {
            FileHandle.standardOutput.write(Data("problem: \(problem)\n".utf8))
        }
        let summary = "\(report.shares) shares, \(report.views) views, \(report.nodes) items, \(report.chunks) chunks: "
            + (report.isSound ? "sound" : "\(report.problems.count) problem(s)")
        FileHandle.standardOutput.write(Data((summary + "\n").utf8))
        if !report.isSound { throw ExitCode(1) }
    }
}

/// Every front's checks of its own records, for `sharecore check`.
enum FrontRecordVerifiers {
    static var all: [RecordTable: RecordVerifier] {
        [BucketMapping.table: BucketMapping.verifier, MultipartUpload.table: MultipartUpload.verifier,
         S3Service.lifecycleTable: S3Service.lifecycleVerifier, BucketTags.table: BucketTags.verifier,
         BucketEncryption.table: BucketEncryption.verifier]
            .merging(S3AccessRecords.verifiers) { first, _ in first }
            .merging(BackupService.recordVerifiers) { first, _ in first }
            .merging(IISRecords.verifiers) { first, _ in first }
            .merging(S3Service.corsRecordVerifiers) { first, _ in first }
    }
}
