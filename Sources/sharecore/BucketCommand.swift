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
            try await AdminCommand.withStore(data, command: "bucket") { store in
                let mapping = try await store.addBucket(name, share: share, path: path)
                AdminCommand.say("bucket \(mapping.name) -> share \(mapping.share), directory '/\(mapping.path)'")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the mapped buckets.")

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await AdminCommand.withStore(data, command: "bucket") { store in
                for mapping in try await store.bucketMappings() {
                    AdminCommand.say("\(mapping.name)\t\(mapping.share)\t/\(mapping.path)")
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
            try await AdminCommand.withStore(data, command: "bucket") { store in
                try await store.removeBucket(name)
                AdminCommand.say("removed bucket \(name)")
            }
        }
    }
}
