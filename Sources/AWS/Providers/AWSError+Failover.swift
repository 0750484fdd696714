import Failover

extension AWSError {
    /// The error as the failover library reports it: AWS says the request was wrong or the resource is missing →
    /// `invalidArgument`; AWS refuses in the current state → `refused`; anything else → `providerFailure`.
    public var failoverError: FailoverError {
        let text = "AWS \(description)"
        if Self.refusals.contains(code.rawValue) { return FailoverError(.refused, text) }
        if code.rawValue.hasSuffix("NotFoundFault") || code.rawValue.hasSuffix("NotFoundException")
            || code.rawValue.hasPrefix("NoSuch") || code.rawValue.hasPrefix("InvalidParameter")
            || code.rawValue == "ValidationError" || code.rawValue == "InvalidArgumentException"
        {
            return FailoverError(.invalidArgument, text)
        }
        return FailoverError(.providerFailure, text)
    }

    static let refusals: Set<String> = [
        "InvalidGlobalClusterStateFault", "InvalidDBClusterStateFault", "InvalidDBInstanceStateFault",
        "AcceleratorNotDisabledException", "ConflictException", "InvalidRequestException",
    ]
}

/// Runs AWS calls and reports their failure as `FailoverError`, the providers' error type.
func mappingAWSErrors<Result>(_ body: () async throws(AWSError) -> Result) async throws(FailoverError) -> Result {
    do {
        return try await body()
    } catch {
        throw error.failoverError
    }
}
