/// The one error type of the engine: a code that fronts map to their protocol's status and
/// error body, a message naming the offending value, and an optional underlying cause.
public struct ShareCoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable, extensible code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, e.g. `shareNotFound`.
        public let name: String
        /// A code named `name`. Fronts may define codes of their own for the errors of their
        /// record keeping (an S3 upload that does not exist, say); the engine raises only the
        /// codes listed here.
        public init(_ name: String) { self.name = name }
        /// The code's name.
        public var description: String { name }

        // Names and arguments
        /// A share name breaks the naming rules (3-63 lowercase letters, digits, single hyphens).
        public static let invalidShareName = Code("invalidShareName")
        /// A directory or file name breaks the naming rules.
        public static let invalidName = Code("invalidName")
        /// A metadata name is not an identifier, repeats, or the metadata exceeds 8 KiB.
        public static let invalidMetadata = Code("invalidMetadata")
        /// An argument is out of its allowed range (quota, page size, length, marker, ...).
        public static let invalidArgument = Code("invalidArgument")
        /// A byte range is empty where it may not be, over 4 MiB, or beyond the file's end.
        public static let invalidRange = Code("invalidRange")
        /// A file would exceed the 4 TiB size limit.
        public static let fileTooLarge = Code("fileTooLarge")
        // Shares and snapshots
        /// The share does not exist.
        public static let shareNotFound = Code("shareNotFound")
        /// A share with that name already exists.
        public static let shareAlreadyExists = Code("shareAlreadyExists")
        /// The share has snapshots and the caller did not ask to delete them.
        public static let shareHasSnapshots = Code("shareHasSnapshots")
        /// The share has no snapshot with that name.
        public static let snapshotNotFound = Code("snapshotNotFound")
        /// The share already has the maximum of 200 snapshots.
        public static let snapshotCountExceeded = Code("snapshotCountExceeded")
        /// A change was asked of a share snapshot, which is read-only.
        public static let snapshotReadOnly = Code("snapshotReadOnly")
        /// A write would take the share's stored bytes over its quota.
        public static let shareQuotaExceeded = Code("shareQuotaExceeded")
        // Namespace
        /// A directory on the path does not exist.
        public static let parentNotFound = Code("parentNotFound")
        /// The named file or directory does not exist.
        public static let resourceNotFound = Code("resourceNotFound")
        /// Something already exists under that name.
        public static let resourceAlreadyExists = Code("resourceAlreadyExists")
        /// A directory still has children.
        public static let directoryNotEmpty = Code("directoryNotEmpty")
        /// A file was found where a directory is needed (also on the path).
        public static let notADirectory = Code("notADirectory")
        /// A directory was found where a file is needed.
        public static let notAFile = Code("notAFile")
        /// A rename would move a directory into itself, or touch the root.
        public static let invalidMove = Code("invalidMove")
        /// A change would replace or modify something with the read-only attribute.
        public static let readOnly = Code("readOnly")
        /// A precondition (ETag) did not hold.
        public static let conditionNotMet = Code("conditionNotMet")
        /// A share cannot be deleted with its snapshots because one of them has an active lease.
        public static let snapshotLeased = Code("snapshotLeased")
        /// A file was at another path in the snapshot a comparison was asked against, and the
        /// caller did not ask to follow renames.
        public static let movedSinceSnapshot = Code("movedSinceSnapshot")
        // Staged content
        /// The front record staged content belongs to does not exist (or belongs to another share).
        public static let recordNotFound = Code("recordNotFound")
        /// Content a commit names was never staged for its record, or was committed or discarded.
        public static let stagedContentNotFound = Code("stagedContentNotFound")
        // Leases
        /// A change was asked of something with an active lease, without a lease id.
        public static let leaseIdMissing = Code("leaseIdMissing")
        /// The lease id given does not match the active lease.
        public static let leaseIdMismatch = Code("leaseIdMismatch")
        /// A lease id was given but there is no active lease.
        public static let leaseNotPresent = Code("leaseNotPresent")
        /// An acquire met a lease with another id.
        public static let leaseAlreadyPresent = Code("leaseAlreadyPresent")
        /// An acquire met a lease that is being broken.
        public static let leaseIsBreaking = Code("leaseIsBreaking")
        /// A renew met a broken lease.
        public static let leaseIsBroken = Code("leaseIsBroken")
        // Encryption at rest
        /// The content is encrypted with a customer-provided key and the request gave none.
        public static let encryptionKeyRequired = Code("encryptionKeyRequired")
        /// The content is encrypted with another customer-provided key than the one given.
        public static let encryptionKeyMismatch = Code("encryptionKeyMismatch")
        // Storage
        /// Stored bytes failed their checksum: the data is corrupted and was not returned.
        public static let dataCorrupted = Code("dataCorrupted")
        /// The disk holding the store is full.
        public static let storageFull = Code("storageFull")
        /// The LMDB map is full (handled internally by growing the map).
        public static let mapFull = Code("mapFull")
        /// Any other failure of the storage layer.
        public static let storageError = Code("storageError")
        /// The store was closed.
        public static let closed = Code("closed")
        /// Another process has the store open (each store is opened by one process at a time).
        public static let storeInUse = Code("storeInUse")
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable message naming the offending value.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The code and the message, e.g. `shareNotFound: share 'docs' does not exist`.
    public var description: String { "\(code): \(message)" }
}
