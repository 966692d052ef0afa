import ArgumentParser
import Foundation
import S3
import ShareCore

/// `sharecore s3 key add|list|remove`: access keys of the S3 front besides the account's.
struct S3Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3",
        abstract: "Manage the S3 front's settings kept in the store.",
        subcommands: [KeyCommand.self]
    )

    struct KeyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key",
            abstract: "Add, list and remove S3 access keys (identities besides the account).",
            discussion: "Works on a store no server has open: stop `sharecore serve` first. The server reads the keys per "
                + "request, so keys an embedding application adds with ShareStore.addS3Key take effect at once.",
            subcommands: [Add.self, List.self, Remove.self]
        )
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add access key NAME; prints its access key id, secret and canonical user id.")

        @Argument(help: "The key's name (also its display name in ACLs): 1-64 letters, digits, '.', '_', '-', '@'.")
        var name: String

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await AdminCommand.withStore(data, command: "s3 key") { store in
                let key = try await store.addS3Key(name)
                AdminCommand.say("name \(key.name)")
                AdminCommand.say("access key id \(key.accessKeyId)")
                AdminCommand.say("secret access key \(key.secretKey)")
                AdminCommand.say("canonical user id \(key.canonicalId)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the added keys: name, access key id, canonical user id.")

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await AdminCommand.withStore(data, command: "s3 key") { store in
                for key in try store.s3Keys() {
                    AdminCommand.say("\(key.name)\t\(key.accessKeyId)\t\(key.canonicalId)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove access key NAME; requests it signs are refused.")

        @Argument(help: "The key's name.")
        var name: String

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await AdminCommand.withStore(data, command: "s3 key") { store in
                try await store.removeS3Key(name)
                AdminCommand.say("removed key \(name)")
            }
        }
    }
}
