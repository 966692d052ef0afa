import Crypto
import Foundation
import ShareCore

/// A claim a location grants.
public enum Claim: String, Sendable, CaseIterable {
    case read, write
}

/// A location: a directory of a share that the files API exposes as a root, with the claims
/// (read, write) it grants to everything below it. Kept as a front record (table
/// `iis.locations`), so locations survive restarts and vanish with their share.
public struct Location: Sendable, Hashable {
    /// The alias (may be empty).
    public var alias: String
    /// The root directory.
    public var path: ItemPath
    /// The claims, as configured (in order).
    public var claims: [Claim]

    /// A location.
    public init(alias: String, path: ItemPath, claims: [Claim]) {
        self.alias = alias
        self.path = path
        self.claims = claims
    }

    /// Whether the location grants `claim`.
    public func grants(_ claim: Claim) -> Bool { claims.contains(claim) }

    var json: JSON {
        .object([("alias", .string(alias)), ("share", .string(path.share)),
                 ("path", .array(path.components.map(JSON.string))), ("claims", .array(claims.map { .string($0.rawValue) }))])
    }

    init?(json: JSON) {
        guard let alias = json["alias"]?.stringValue, let share = json["share"]?.stringValue,
              case .array(let names)? = json["path"], case .array(let claims)? = json["claims"] else { return nil }
        self.alias = alias
        path = ItemPath(share: share, components: names.compactMap(\.stringValue))
        self.claims = claims.compactMap { $0.stringValue.flatMap(Claim.init(rawValue:)) }
    }
}

/// The records the front keeps in the store.
enum IISTables {
    /// Locations, keyed by their folded path.
    static let locations = RecordTable("iis.locations")
    /// The secret ids are sealed with.
    static let secret = RecordTable("iis.secret")
    /// Download links, keyed by link id.
    static let downloads = RecordTable("iis.downloads")
    /// Last-access times set through PATCH, keyed by share and item id.
    static let lastAccess = RecordTable("iis.lastaccess")
    /// Websites, keyed by their numeric key.
    static let websites = RecordTable("iis.websites")
}

/// Reading and changing the locations.
public enum Locations {
    /// The record key of a location root: its path folded as case-insensitive shares compare
    /// (a location names a share path once, whatever the spelling).
    static func key(_ path: ItemPath) -> [UInt8] {
        let text = Array((path.share + "\n" + path.folded(caseSensitive: false).joined(separator: "/")).utf8)
        // Record keys are bounded: a very deep path is keyed by its digest.
        return text.count <= 300 ? text : Array("#".utf8) + Array(SHA256.hash(data: text))
    }

    /// Every location, longest path first (the order IIS matches and lists them in).
    public static func all(_ store: ShareStore) throws -> [Location] {
        var out: [Location] = []
        try store.readRecords { reader in
            try reader.scan(IISTables.locations) { _, value in
                if let json = JSON.parse(value), let location = Location(json: json) { out.append(location) }
                return true
            }
        }
        return sorted(out)
    }

    static func sorted(_ list: [Location]) -> [Location] {
        list.sorted {
            $0.path.components.count != $1.path.components.count
                ? $0.path.components.count > $1.path.components.count
                : ($0.path.share, $0.path.sharePath, $0.alias) < ($1.path.share, $1.path.sharePath, $1.alias)
        }
    }

    /// The location governing `path`: the one with the longest root containing it.
    static func covering(_ path: ItemPath, in locations: [Location], caseSensitive: Bool) -> Location? {
        locations.first { path.isWithin($0.path, caseSensitive: caseSensitive) }
    }

    /// Why a location cannot be saved.
    public enum Problem: Error, Sendable {
        case aliasTaken, pathTaken, notFound
    }

    /// Saves `location`, replacing `previous` (nil: a new one); refuses a taken alias or path.
    /// With claims, the share (Azure naming rules) and directories are created when missing.
    @discardableResult
    public static func save(_ location: Location, replacing previous: Location? = nil, in store: ShareStore) async throws -> Location {
        let all = try Locations.all(store).filter { $0 != previous }
        if !location.alias.isEmpty, all.contains(where: { $0.alias.lowercased() == location.alias.lowercased() }) {
            throw Problem.aliasTaken
        }
        if all.contains(where: { key($0.path) == key(location.path) }) { throw Problem.pathTaken }
        var saved = location
        if !location.claims.isEmpty {
            saved.path = try await ensureDirectory(location.path, in: store)
        }
        let record = saved.json.bytes
        let oldKey = previous.map { key($0.path) }
        let newKey = key(saved.path)
        // The location goes with its share; a location without claims may name a share that
        // does not exist (yet), and then has no owner.
        let owner = (try? await store.shareInfo(saved.path.share)) != nil ? saved.path.share : nil
        try await store.writeRecords { writer in
            if let oldKey { try writer.delete(IISTables.locations, oldKey) }
            try writer.put(IISTables.locations, newKey, record, owner: owner)
        }
        return saved
    }

    /// Removes `location`; false when it was not there.
    @discardableResult
    public static func remove(_ location: Location, from store: ShareStore) async throws -> Bool {
        let k = key(location.path)
        return try await store.writeRecords { writer in try writer.delete(IISTables.locations, k) }
    }

    /// Creates the share and directories of `path` that are missing; returns the path with the
    /// names as stored.
    static func ensureDirectory(_ path: ItemPath, in store: ShareStore) async throws -> ItemPath {
        do {
            _ = try await store.shareInfo(path.share)
        } catch let error as ShareCoreError where error.code == .shareNotFound {
            do {
                _ = try await store.createShare(path.share)
            } catch let error as ShareCoreError where error.code == .shareAlreadyExists {}
        }
        let share = store.share(path.share)
        var names: [String] = []
        for component in path.components {
            let here = (names + [component]).joined(separator: "/")
            do {
                let info = try await share.info(here)
                guard info.isDirectory else { throw ShareCoreError(.notADirectory, "'\(here)' is a file") }
                names.append(info.name)
            } catch let error as ShareCoreError where error.code == .resourceNotFound {
                do {
                    names.append(try await share.createDirectory(here).name)
                } catch let error as ShareCoreError where error.code == .resourceAlreadyExists {
                    names.append(try await share.info(here).name)
                }
            }
        }
        return ItemPath(share: path.share, components: names)
    }
}

/// Checks of the front's records, for `sharecore check`.
public enum IISRecords {
    /// A verifier per table: every record must decode.
    public static var verifiers: [RecordTable: RecordVerifier] {
        func json(_ what: String, _ valid: @escaping @Sendable (JSON) -> Bool) -> RecordVerifier {
            { _, value in
                guard let parsed = JSON.parse(value), valid(parsed) else {
                    throw ShareCoreError(.dataCorrupted, "an IIS Files \(what) record does not decode")
                }
            }
        }
        return [
            IISTables.locations: json("location") { Location(json: $0) != nil },
            IISTables.downloads: json("download link") { $0["share"]?.stringValue != nil },
            IISTables.websites: json("website") { Website(key: 0, json: $0) != nil },
            IISTables.secret: { _, value in
                guard value.count == 32 else { throw ShareCoreError(.dataCorrupted, "the IIS Files id secret is not 32 bytes") }
            },
            IISTables.lastAccess: { _, value in
                guard value.count == 8 else { throw ShareCoreError(.dataCorrupted, "an IIS Files last-access record is not 8 bytes") }
            },
        ]
    }
}

/// The secret that seals ids, made once per store.
public enum IdSecret {
    /// The store's secret, created (32 random bytes) the first time.
    public static func load(_ store: ShareStore) async throws -> [UInt8] {
        let key = Array("ids".utf8)
        if let existing = try store.readRecords({ try $0.get(IISTables.secret, key) }) { return existing }
        var generator = SystemRandomNumberGenerator()
        let fresh = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try await store.writeRecords { writer in
            if let existing = try writer.get(IISTables.secret, key) { return existing }
            try writer.put(IISTables.secret, key, fresh)
            return fresh
        }
    }

    /// The id scheme of `store`.
    public static func scheme(_ store: ShareStore) async throws -> IdScheme {
        IdScheme(sealer: IdSealer(secret: try await load(store)))
    }
}
