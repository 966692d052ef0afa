import Foundation

/// A lease on a file or a share: while it is active, changes need its id.
///
/// File leases never expire; share leases last 15 to 60 seconds or forever. A broken lease
/// stays "breaking" for its break period, then is "broken" and may be acquired again.
public struct Lease: Sendable, Hashable {
    /// The lease id (a GUID in Azure's protocol; any non-empty string here).
    public var id: String
    /// Seconds the lease lasts from its last acquire or renew; nil for an infinite lease.
    public var duration: Int?
    /// When a finite lease expires.
    public var expires: FileTime?
    /// When a lease being broken becomes broken (set by a break).
    public var breakUntil: FileTime?

    public init(id: String, duration: Int? = nil, expires: FileTime? = nil, breakUntil: FileTime? = nil) {
        self.id = id
        self.duration = duration
        self.expires = expires
        self.breakUntil = breakUntil
    }

    /// The lease's state at `now`.
    public func state(at now: FileTime) -> LeaseState {
        if let breakUntil { return now < breakUntil ? .breaking : .broken }
        if let expires, now >= expires { return .expired }
        return .leased
    }

    /// Whether the lease still guards changes at `now` (leased or breaking).
    public func isActive(at now: FileTime) -> Bool {
        let s = state(at: now)
        return s == .leased || s == .breaking
    }

    /// Seconds left before a breaking lease is broken (0 when not breaking).
    public func breakSecondsLeft(at now: FileTime) -> Int {
        guard let breakUntil, now < breakUntil else { return 0 }
        return Int((breakUntil.ticks - now.ticks + 9_999_999) / 10_000_000)
    }
}

/// Where a lease stands.
public enum LeaseState: String, Sendable, Hashable {
    /// No lease was ever taken or it was released.
    case available
    case leased
    case expired
    case breaking
    case broken
}

/// A lease operation.
public enum LeaseAction: Sendable, Hashable {
    /// Takes a lease: `duration` seconds (15-60 for shares) or nil for infinite.
    case acquire(proposedId: String?, duration: Int?)
    /// Restarts a finite lease's duration.
    case renew(id: String)
    /// Replaces the lease id.
    case change(id: String, proposedId: String)
    /// Ends the lease.
    case release(id: String)
    /// Breaks the lease after `period` seconds (0-60; nil breaks a finite lease when it
    /// would expire and an infinite one at once).
    case breakLease(period: Int?)
}

/// The outcome of a lease operation.
public struct LeaseResult: Sendable, Hashable {
    /// The lease id after the operation (nil after release and break).
    public var id: String?
    /// For a break: seconds until the lease is broken.
    public var breakSecondsLeft: Int?
    /// ETag of the file or share after the operation.
    public var etag: String
    public var lastModified: FileTime
}

enum LeaseMachine {
    /// Applies `action` to `current` at `now`; returns the new lease (nil: none) and the result.
    static func apply(_ action: LeaseAction, to current: Lease?, now: FileTime, infiniteOnly: Bool)
        throws(ShareCoreError) -> (Lease?, id: String?, breakLeft: Int?)
    {
        let state = current?.state(at: now) ?? .available
        func expiry(_ duration: Int?) -> FileTime? {
            duration.map { FileTime(ticks: now.ticks + Int64($0) * 10_000_000) }
        }
        switch action {
        case let .acquire(proposed, duration):
            if let duration {
                guard !infiniteOnly else {
                    throw ShareCoreError(.invalidArgument, "file leases are infinite: a duration of \(duration) s is not allowed")
                }
                guard (15...60).contains(duration) else {
                    throw ShareCoreError(.invalidArgument, "lease duration \(duration) s is outside 15 to 60 seconds (or infinite)")
                }
            }
            let id = proposed ?? UUID().uuidString.lowercased()
            switch state {
            case .leased:
                guard let current, current.id == id else {
                    throw ShareCoreError(.leaseAlreadyPresent, "there is already a lease")
                }
            case .breaking:
                throw ShareCoreError(.leaseIsBreaking, "the lease is being broken and cannot be acquired")
            default:
                break
            }
            return (Lease(id: id, duration: duration, expires: expiry(duration)), id, nil)
        case let .renew(id):
            guard let current, current.id == id else {
                throw ShareCoreError(current == nil ? .leaseNotPresent : .leaseIdMismatch, "the lease id '\(id)' does not match the lease")
            }
            switch state {
            case .breaking, .broken:
                throw ShareCoreError(.leaseIsBroken, "the lease is broken and cannot be renewed")
            default:
                return (Lease(id: id, duration: current.duration, expires: expiry(current.duration)), id, nil)
            }
        case let .change(id, proposed):
            guard let current, state == .leased else {
                throw ShareCoreError(.leaseNotPresent, "there is no active lease to change")
            }
            guard current.id == id || current.id == proposed else {
                throw ShareCoreError(.leaseIdMismatch, "the lease id '\(id)' does not match the lease")
            }
            var changed = current
            changed.id = proposed
            return (changed, proposed, nil)
        case let .release(id):
            guard let current, state != .available else {
                throw ShareCoreError(.leaseNotPresent, "there is no lease to release")
            }
            guard current.id == id else {
                throw ShareCoreError(.leaseIdMismatch, "the lease id '\(id)' does not match the lease")
            }
            return (nil, nil, nil)
        case let .breakLease(period):
            if let period, !(0...60).contains(period) {
                throw ShareCoreError(.invalidArgument, "break period \(period) s is outside 0 to 60 seconds")
            }
            guard var current, state != .available else {
                throw ShareCoreError(.leaseNotPresent, "there is no lease to break")
            }
            switch state {
            case .breaking:
                // A shorter period may shorten an ongoing break.
                if let period, let until = current.breakUntil,
                   FileTime(ticks: now.ticks + Int64(period) * 10_000_000) < until {
                    current.breakUntil = FileTime(ticks: now.ticks + Int64(period) * 10_000_000)
                }
            case .broken, .expired:
                current.breakUntil = current.breakUntil ?? now
            default:
                let seconds: Int64
                if let period {
                    seconds = Int64(period)
                } else if let expires = current.expires {
                    seconds = max(0, (expires.ticks - now.ticks + 9_999_999) / 10_000_000)
                } else {
                    seconds = 0
                }
                if let expires = current.expires, FileTime(ticks: now.ticks + seconds * 10_000_000) > expires {
                    current.breakUntil = expires
                } else {
                    current.breakUntil = FileTime(ticks: now.ticks + seconds * 10_000_000)
                }
            }
            return (current, nil, current.breakSecondsLeft(at: now))
        }
    }

    /// Checks that a change carrying `leaseId` may touch something holding `lease`.
    static func authorize(_ lease: Lease?, leaseId: String?, now: FileTime, what: String) throws(ShareCoreError) {
        let active = lease.map { $0.isActive(at: now) } ?? false
        if active, let lease {
            guard let leaseId else {
                throw ShareCoreError(.leaseIdMissing, "\(what) has an active lease and no lease id was given")
            }
            guard leaseId == lease.id else {
                throw ShareCoreError(.leaseIdMismatch, "the lease id given does not match the lease on \(what)")
            }
        } else if leaseId != nil {
            throw ShareCoreError(.leaseNotPresent, "a lease id was given but \(what) has no active lease")
        }
    }
}

extension Lease {
    func encode() -> [UInt8] {
        var w = FieldWriter()
        w.field(1, id)
        if let duration { w.field(2, UInt64(duration)) }
        if let expires { w.field(3, expires.ticks) }
        if let breakUntil { w.field(4, breakUntil.ticks) }
        return w.bytes
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws(ShareCoreError) -> Lease {
        var r = try FieldReader(bytes: bytes)
        var lease = Lease(id: "")
        while let (tag, v) = try r.next() {
            switch tag {
            case 1: lease.id = FieldValue.string(v)
            case 2: lease.duration = Int(FieldValue.uint(v))
            case 3: lease.expires = FileTime(ticks: FieldValue.int(v))
            case 4: lease.breakUntil = FileTime(ticks: FieldValue.int(v))
            default: break
            }
        }
        return lease
    }
}
