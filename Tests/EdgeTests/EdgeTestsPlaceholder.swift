import Testing

@testable import Edge
