import Foundation
import FrontKit
import HTTPTypes
import ShareCore

/// Lease Share and Lease File (`PUT …?comp=lease` with `x-ms-lease-action`). Share leases
/// last 15 to 60 seconds or forever; file leases are always infinite and cannot be renewed.
enum LeaseOperations {
    /// What a request asks of a lease.
    struct Request {
        var action: LeaseAction
        /// The action's name, for errors.
        var name: String
        /// A lease id presented with `break` (optional there).
        var breakLeaseId: String?
    }

    /// Lease File: acquire (infinite only), change, release, break.
    static func leaseFile(_ context: OperationContext) async throws -> FrontResponse {
        let lease = try parse(context.request, forShare: false)
        let share = context.store.share(try context.shareName())
        let path = context.request.pathString
        if let presented = lease.breakLeaseId {
            let current = try await share.info(path).lease
            try checkBreakLeaseId(presented, current)
        }
        let result = try await mapped(lease) {
            try await share.lease(path, lease.action)
        } state: {
            try await share.info(path).lease
        }
        return respond(context, lease, result, forShare: false)
    }

    /// Lease Share: acquire (15-60 s or infinite), renew, change, release, break.
    static func leaseShare(_ context: OperationContext) async throws -> FrontResponse {
        let lease = try parse(context.request, forShare: true)
        let name = try context.shareName()
        let store = context.store
        // With `sharesnapshot`, the snapshot's own lease.
        let snapshot = try ShareOperations.snapshotParameter(context)
        if let presented = lease.breakLeaseId {
            try checkBreakLeaseId(presented, try await store.shareInfo(name, snapshot: snapshot).lease)
        }
        let result = try await mapped(lease) {
            if let snapshot { return try await store.leaseSnapshot(name, snapshot: snapshot, lease.action) }
            return try await store.leaseShare(name, lease.action)
        } state: {
            try await store.shareInfo(name, snapshot: snapshot).lease
        }
        return respond(context, lease, result, forShare: true)
    }

    /// The response: 201 for acquire, 202 for break, 200 otherwise; the lease id after
    /// acquire, renew and change; for a share break, the seconds left (`x-ms-lease-time`).
    static func respond(_ context: OperationContext, _ lease: Request, _ result: LeaseResult, forShare: Bool) -> FrontResponse {
        var fields = HTTPFields()
        fields.set("ETag", Headers.etag(result.etag))
        fields.set("Last-Modified", Headers.httpDate(result.lastModified))
        let status: HTTPResponse.Status
        switch lease.action {
        case .acquire: status = .created
        case .breakLease: status = .accepted
        default: status = .ok
        }
        if let id = result.id { fields.set("x-ms-lease-id", id) }
        if forShare, case .breakLease = lease.action { fields.set("x-ms-lease-time", String(result.breakSecondsLeft ?? 0)) }
        return context.response(status, fields)
    }

    // MARK: Parsing

    /// Reads `x-ms-lease-action` and the headers that action needs.
    static func parse(_ request: FileRequest, forShare: Bool) throws -> Request {
        guard let rawAction = request.header("x-ms-lease-action") else { throw FileRESTError.missingHeader("x-ms-lease-action") }
        let action = rawAction.lowercased()
        switch action {
        case "acquire":
            let proposed = try guid(request, "x-ms-proposed-lease-id")
            let duration = try duration(request, forShare: forShare)
            return Request(action: .acquire(proposedId: proposed, duration: duration), name: action)
        case "renew" where forShare:
            return Request(action: .renew(id: try requiredGuid(request, "x-ms-lease-id")), name: action)
        case "change":
            let id = try requiredGuid(request, "x-ms-lease-id")
            let proposed = try requiredGuid(request, "x-ms-proposed-lease-id")
            return Request(action: .change(id: id, proposedId: proposed), name: action)
        case "release":
            return Request(action: .release(id: try requiredGuid(request, "x-ms-lease-id")), name: action)
        case "break":
            let period = forShare ? try breakPeriod(request) : nil
            return Request(action: .breakLease(period: period), name: action, breakLeaseId: try guid(request, "x-ms-lease-id"))
        default:
            throw FileRESTError.invalidHeader("x-ms-lease-action", rawAction)
        }
    }

    /// `x-ms-lease-duration`: -1 (infinite, also when absent), or 15 to 60 seconds for shares.
    static func duration(_ request: FileRequest, forShare: Bool) throws -> Int? {
        guard let raw = request.header("x-ms-lease-duration") else { return nil }
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)) else { throw FileRESTError.invalidHeader("x-ms-lease-duration", raw) }
        if value == -1 { return nil }
        guard forShare, (15...60).contains(value) else { throw FileRESTError.invalidHeader("x-ms-lease-duration", raw) }
        return value
    }

    /// `x-ms-lease-break-period`: 0 to 60 seconds (absent: until a finite lease would expire).
    static func breakPeriod(_ request: FileRequest) throws -> Int? {
        guard let raw = request.header("x-ms-lease-break-period") else { return nil }
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), (0...60).contains(value) else {
            throw FileRESTError.invalidHeader("x-ms-lease-break-period", raw)
        }
        return value
    }

    /// A header holding a lease id (a GUID), when present.
    static func guid(_ request: FileRequest, _ name: String) throws -> String? {
        guard let raw = request.header(name) else { return nil }
        guard UUID(uuidString: raw.trimmingCharacters(in: CharacterSet(charactersIn: "{}"))) != nil else {
            throw FileRESTError.invalidHeader(name, raw)
        }
        return raw
    }

    static func requiredGuid(_ request: FileRequest, _ name: String) throws -> String {
        guard let value = try guid(request, name) else { throw FileRESTError.missingHeader(name) }
        return value
    }

    // MARK: Errors

    /// A lease id given with break must name the lease being broken.
    static func checkBreakLeaseId(_ presented: String, _ current: Lease?) throws {
        guard let current, current.state(at: .now()) != .available else { return }
        if current.id != presented { throw mismatch }
    }

    static let mismatch = FileRESTError(.conflict, "LeaseIdMismatchWithLeaseOperation",
                                        "The lease ID specified did not match the lease ID for the resource with the specified lease operation.")
    static let notPresent = FileRESTError(.conflict, "LeaseNotPresentWithLeaseOperation",
                                          "There is currently no lease on the resource with the specified lease operation.")

    /// Runs a lease operation, turning the engine's generic lease errors into the codes Azure
    /// gives lease operations (409) and bad durations into `InvalidHeaderValue`. `state`
    /// reads the current lease when the error depends on it.
    static func mapped(_ lease: Request, _ body: () async throws -> LeaseResult,
                       state: () async throws -> Lease?) async throws -> LeaseResult {
        do {
            return try await body()
        } catch let error as ShareCoreError {
            switch error.code {
            case .leaseAlreadyPresent:
                throw FileRESTError(.conflict, "LeaseAlreadyPresent", "There is already a lease present.")
            case .leaseIsBreaking:
                throw FileRESTError(.conflict, "LeaseIsBreakingAndCannotBeAcquired",
                                    "The lease ID matched, but the lease is currently in breaking state and cannot be acquired until it is broken.")
            case .leaseIsBroken:
                throw FileRESTError(.conflict, "LeaseIsBrokenAndCannotBeRenewed",
                                    "The lease ID matched, but the lease has been broken explicitly and cannot be renewed.")
            case .leaseIdMismatch:
                throw mismatch
            case .leaseNotPresent:
                if case .change = lease.action, try await state()?.state(at: .now()) == .breaking {
                    throw FileRESTError(.conflict, "LeaseIsBreakingAndCannotBeChanged",
                                        "The lease ID matched, but the lease is currently in breaking state and cannot be changed.")
                }
                throw notPresent
            case .invalidArgument:
                if case .breakLease = lease.action { throw FileRESTError.invalidHeader("x-ms-lease-break-period", nil) }
                throw FileRESTError.invalidHeader("x-ms-lease-duration", nil)
            default:
                throw error
            }
        }
    }

    // MARK: Status headers and elements

    /// `LeaseStatus`/`LeaseState`/`LeaseDuration` of `lease` at `now`, as Azure spells them:
    /// locked while leased or breaking; a duration only while leased.
    static func status(_ lease: Lease?, now: FileTime) -> (status: String, state: String, duration: String?) {
        let state = lease?.state(at: now) ?? .available
        let locked = state == .leased || state == .breaking
        let duration = state == .leased ? (lease?.duration == nil ? "infinite" : "fixed") : nil
        return (locked ? "locked" : "unlocked", state.rawValue, duration)
    }

    /// Adds `x-ms-lease-status`, `x-ms-lease-state` and (while leased) `x-ms-lease-duration`.
    static func addStatus(_ lease: Lease?, to fields: inout HTTPFields) {
        let s = status(lease, now: .now())
        fields.set("x-ms-lease-status", s.status)
        fields.set("x-ms-lease-state", s.state)
        if let duration = s.duration { fields.set("x-ms-lease-duration", duration) }
    }
}
