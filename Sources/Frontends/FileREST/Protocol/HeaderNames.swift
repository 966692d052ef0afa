import HTTPTypes

/// The names of the headers FileREST answers with on its common paths, parsed once. Parsing a
/// name for every use (checking it, and lower-casing it into a new string for the longer ones)
/// was a visible part of a small Get File (issue #14).
extension HTTPField.Name {
    static let msRequestId = HTTPField.Name("x-ms-request-id")!
    static let msVersion = HTTPField.Name("x-ms-version")!
    static let msClientRequestId = HTTPField.Name("x-ms-client-request-id")!
    static let msType = HTTPField.Name("x-ms-type")!
    static let msServerEncrypted = HTTPField.Name("x-ms-server-encrypted")!
    static let msFileAttributes = HTTPField.Name("x-ms-file-attributes")!
    static let msFileCreationTime = HTTPField.Name("x-ms-file-creation-time")!
    static let msFileLastWriteTime = HTTPField.Name("x-ms-file-last-write-time")!
    static let msFileChangeTime = HTTPField.Name("x-ms-file-change-time")!
    static let msFilePermissionKey = HTTPField.Name("x-ms-file-permission-key")!
    static let msFileId = HTTPField.Name("x-ms-file-id")!
    static let msFileParentId = HTTPField.Name("x-ms-file-parent-id")!
    static let msLeaseStatus = HTTPField.Name("x-ms-lease-status")!
    static let msLeaseState = HTTPField.Name("x-ms-lease-state")!
    static let msLeaseDuration = HTTPField.Name("x-ms-lease-duration")!
    static let contentMD5 = HTTPField.Name("Content-MD5")!
    static let msContentMD5 = HTTPField.Name("x-ms-content-md5")!
    static let msMode = HTTPField.Name("x-ms-mode")!
    static let msOwner = HTTPField.Name("x-ms-owner")!
    static let msGroup = HTTPField.Name("x-ms-group")!
}
