import ArgumentParser
import Foundation
import S3
import ShareCore

/// `sharecore bucket add|list|remove`: S3 buckets mapped to directories of shares (every share
/// is also a bucket of its own name, without a mapping).
struct BucketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bucket",
        abstract: "Map S3 buckets to directories of shares.",
        discussion: "Works on a store no server has open: stop `sharecore serve` first.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Map bucket NAME to directory --path of share --share.")

        @Argument(help: "The bucket name (S3 bucket naming rules).")
        var name: String

        @Option(name: .long, help: "The share holding the directory.")
        var share: String

        @Option(name: .long, help: "The directory (within the share) that becomes the bucket's root; empty for the share's root.")
        var path: String = ""

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await BucketCommand.withStore(data) { store in
                let mapping = try await store.addBucket(name, share: share, path: path)
                BucketCommand.say("bucket \(mapping.name) -> share \(mapping.share), directory '/\(mapping.path)'")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the mapped buckets.")

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await BucketCommand.withStore(data) { store in
                for mapping in try await store.bucketMappings() {
                    BucketCommand.say("\(mapping.name)\t\(mapping.share)\t/\(mapping.path)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the mapping of bucket NAME (its files stay).")

        @Argument(help: "The bucket name.")
        var name: String

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await BucketCommand.withStore(data) { store in
                try await store.removeBucket(name)
                BucketCommand.say("removed bucket \(name)")
            }
        }
    }

    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Opens the store at `data`, runs `body`, closes it; engine errors become a message and exit code 1.
    static func withStore(_ data: String, _ body: (ShareStore) async throws -> Void) async throws {
        let store: ShareStore
        do {
            store = try await ShareStore.open(at: data)
        } catch let error as ShareCoreError {
            FileHandle.standardError.write(Data("sharecore bucket: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        do {
            try await body(store)
            await store.close()
        } catch let error as ShareCoreError {
            await store.close()
            FileHandle.standardError.write(Data("sharecore bucket: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}
