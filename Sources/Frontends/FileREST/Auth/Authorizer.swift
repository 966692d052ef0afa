/// Decides whether a request may run: Shared Key in the Authorization header, or a shared
/// access signature in the query. Nothing is served anonymously.
enum Authorizer {
    static func authorize(_ context: OperationContext) throws {
        let request = context.request
        if let header = request.header("Authorization") {
            try SharedKey.verify(header, request: request, account: context.configuration.account,
                                 key: context.configuration.accountKey)
            return
        }
        if request.query("sig") != nil {
            try SAS.authorize(context)
            return
        }
        throw FileRESTError.authenticationFailed("No Authorization header and no shared access signature were given.")
    }
}
