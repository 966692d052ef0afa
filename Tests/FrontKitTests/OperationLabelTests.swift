import FrontKit
import HTTPTypes
import Testing

/// Operation names as metrics (`sharecore_requests_total{operation}`) and logs show them.
@Suite struct OperationLabelTests {
    enum Resource: Sendable { case jobs, recoveryPoint(String, String) }

    @Test func caseNamesBecomeUpperCamelCase() {
        #expect(OperationLabel.named("listObjectsV2") == "ListObjectsV2")
        #expect(OperationLabel.named("putRange") == "PutRange")
        #expect(OperationLabel.named("") == "")
    }

    @Test func routesAreMethodAndResourceKindWithoutTheirValues() {
        #expect(OperationLabel.route(.get, Resource.jobs) == "GetJobs")
        #expect(OperationLabel.route(.post, Resource.recoveryPoint("item;a", "123")) == "PostRecoveryPoint")
    }
}
