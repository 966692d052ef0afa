import Foundation
import ShareCore

/// Where an item lives: a share and the names from its root down. The IIS front shows it as a
/// UNC physical path, `\\account\share\dir\file`.
public struct ItemPath: Hashable, Sendable, CustomStringConvertible {
    /// The share.
    public var share: String
    /// The names from the share's root down (empty for the root itself).
    public var components: [String]

    /// A path.
    public init(share: String, components: [String]) {
        self.share = share
        self.components = components
    }

    /// The path inside the share, `/`-separated, as the engine takes it.
    public var sharePath: String { components.joined(separator: "/") }
    /// The last name (the share's name for its root).
    public var name: String { components.last ?? share }
    /// The parent, or nil for the share's root.
    public var parent: ItemPath? {
        components.isEmpty ? nil : ItemPath(share: share, components: Array(components.dropLast()))
    }
    /// This path with `name` appended.
    public func appending(_ name: String) -> ItemPath { ItemPath(share: share, components: components + [name]) }

    /// The names as compared in a share that is (or is not) case-sensitive.
    func folded(caseSensitive: Bool) -> [String] {
        caseSensitive ? components : components.map { $0.lowercased() }
    }

    /// Whether this path lies at or below `other`, comparing whole names (segment-wise), ignoring
    /// case unless the share is case-sensitive.
    func isWithin(_ other: ItemPath, caseSensitive: Bool) -> Bool {
        guard share == other.share, components.count >= other.components.count else { return false }
        let mine = folded(caseSensitive: caseSensitive)
        let theirs = other.folded(caseSensitive: caseSensitive)
        return Array(mine.prefix(theirs.count)) == theirs
    }

    /// Whether both name the same item.
    func same(_ other: ItemPath, caseSensitive: Bool) -> Bool {
        share == other.share && folded(caseSensitive: caseSensitive) == other.folded(caseSensitive: caseSensitive)
    }

    public var description: String { "\(share)/\(sharePath)" }
}

/// UNC physical paths: formatting and parsing with IIS's path rules.
public enum PhysicalPath {
    /// `\\account\share\a\b` (a share root is `\\account\share`).
    public static func format(account: String, _ path: ItemPath) -> String {
        (["\\\\" + account, path.share] + path.components).joined(separator: "\\")
    }

    /// Parses a UNC path (`/` is accepted for `\`): the account and the path, with `.` and `..`
    /// segments resolved as Windows does (never above the share). Nil when it is not a UNC path
    /// of a share, or a name in it is invalid.
    public static func parse(_ text: String) -> (account: String, path: ItemPath)? {
        let unified = text.replacingOccurrences(of: "/", with: "\\")
        guard unified.hasPrefix("\\\\") else { return nil }
        let parts = unified.dropFirst(2).split(separator: "\\", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2 else { return nil }
        let account = parts[0]
        let share = parts[1].lowercased()
        guard (try? Names.validateShare(share)) != nil else { return nil }
        var components: [String] = []
        for part in parts.dropFirst(2) {
            switch part {
            case ".": continue
            case "..":
                guard !components.isEmpty else { return nil }
                components.removeLast()
            default:
                guard FileName.isValid(part) else { return nil }
                components.append(part)
            }
        }
        return (account, ItemPath(share: share, components: components))
    }
}

/// IIS's rules for one file or directory name (`PathUtil.IsValidFileName`), together with the
/// share's own rules.
enum FileName {
    /// Whether `name` is a single valid name: not empty, no separators, wildcards or control
    /// characters, not ending with `.`, and accepted by the share's naming rules.
    static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasSuffix(".") else { return false }
        return (try? Names.validateComponent(name)) != nil
    }
}
