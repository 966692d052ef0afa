import FrontKit
@testable import S3

extension S3Payload {
    /// ``S3Payload/open(_:auth:computeMD5:computeChecksum:checksumHeadersDescribeBody:)`` for a
    /// request a test builds as a `FrontRequest`: parsed as the service parses it first.
    static func open(_ request: FrontRequest, auth: SigV4Auth, computeMD5: Bool,
                     computeChecksum: ChecksumAlgorithm? = nil,
                     checksumHeadersDescribeBody: Bool = true) throws -> (body: RequestBody, result: PayloadResult) {
        try open(S3Request.parse(request, virtualHostSuffixes: []), auth: auth, computeMD5: computeMD5,
                 computeChecksum: computeChecksum, checksumHeadersDescribeBody: checksumHeadersDescribeBody)
    }
}
