/// Shared access signatures (account SAS and service SAS).
enum SAS {
    static func authorize(_ context: OperationContext) throws {
        throw FileRESTError.authenticationFailed("Shared access signatures are not implemented yet.")
    }
}
