import ArgumentParser
import Foundation
import IISFiles
import ShareCore

/// `sharecore location add|list|remove`: the locations (roots with read/write claims) of the
/// IIS Files front.
struct LocationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "location",
        abstract: "Manage the locations the IIS Files front exposes.",
        discussion: "Works on a store no server has open: stop `sharecore serve` first.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Expose directory --path of share --share as location ALIAS with --claims.",
            discussion: "With claims, a missing share (Azure naming rules) or directory is created."
        )

        @Argument(help: "The location's alias.")
        var alias: String

        @Option(name: .long, help: "The share.")
        var share: String

        @Option(name: .long, help: "The directory within the share ('/'-separated); empty for the share's root.")
        var path: String = ""

        @Option(name: .long, help: "Comma-separated claims: read, write (e.g. read,write); empty for none.")
        var claims: String = "read"

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            var list: [Claim] = []
            for name in claims.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !name.isEmpty {
                guard let claim = Claim(rawValue: name) else { throw ValidationError("unknown claim '\(name)' (read, write)") }
                if !list.contains(claim) { list.append(claim) }
            }
            let components = path.split(separator: "/").map(String.init)
            try await AdminCommand.withStore(data, command: "location") { store in
                do {
                    try Names.validateShare(share)
                    for name in components { try Names.validateComponent(name) }
                    let saved = try await Locations.save(Location(alias: alias, path: ItemPath(share: share, components: components), claims: list),
                                                         in: store)
                    AdminCommand.say("location \(saved.alias) -> share \(saved.path.share), directory '/\(saved.path.sharePath)', claims \(saved.claims.map(\.rawValue).joined(separator: ","))")
                } catch Locations.Problem.aliasTaken {
                    throw AdminCommand.Failure("alias '\(alias)' is taken")
                } catch Locations.Problem.pathTaken {
                    throw AdminCommand.Failure("a location already exposes that directory")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the locations (longest path first).")

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await AdminCommand.withStore(data, command: "location") { store in
                for location in try Locations.all(store) {
                    AdminCommand.say("\(location.alias)\t\(location.path.share)\t/\(location.path.sharePath)\t\(location.claims.map(\.rawValue).joined(separator: ","))")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove location ALIAS (its files stay).")

        @Argument(help: "The alias.")
        var alias: String

        @Option(name: .long, help: "The data directory.")
        var data: String = "./sharecore-data"

        func run() async throws {
            try await AdminCommand.withStore(data, command: "location") { store in
                guard let location = try Locations.all(store).first(where: { $0.alias.lowercased() == alias.lowercased() }) else {
                    throw AdminCommand.Failure("no location has alias '\(alias)'")
                }
                try await Locations.remove(location, from: store)
                AdminCommand.say("removed location \(location.alias)")
            }
        }
    }
}
