import Foundation

/// Decides whether a request may run: Shared Key (or Shared Key Lite) or, when enabled
/// (`--oauth basic`), a Microsoft Entra bearer token (HTTPS only) in the Authorization header, or a shared access signature in the
/// query. Nothing is served anonymously.
enum Authorizer {
    /// Authorizes the request of `context`, or throws Azure's error for it.
    static func authorize(_ context: OperationContext) async throws {
        let request = context.request
        if context.operation == .getUserDelegationKey {
            // A user delegation key names an Entra identity: only a bearer token has one.
            guard let header = request.header("Authorization"), header.lowercased().hasPrefix("bearer ") else {
                throw FileRESTError.authenticationFailed("Only a bearer token (Microsoft Entra ID) can get a user delegation key.")
            }
        }
        if let header = request.header("Authorization") {
            let words = header.split(separator: " ", maxSplits: 1)
            if words.count == 2, words[0].lowercased() == "bearer", context.configuration.acceptsUnverifiedBearerTokens {
                try BearerToken.authorize(String(words[1]).trimmingCharacters(in: .whitespaces), context)
                return
            }
            try SharedKey.verify(header, request: request, account: context.configuration.account,
                                 key: context.configuration.accountKey)
            return
        }
        if request.target.valueIgnoringCase("sig") != nil {
            try await SAS.authorize(context)
            return
        }
        throw FileRESTError.authenticationFailed("No Authorization header and no shared access signature were given.")
    }
}
