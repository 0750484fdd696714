import AWS
import Foundation
import Testing

/// XML through FoundationXML on Linux, and AWS error bodies of every protocol.
@Suite struct ResponseParsingTests {
    @Test func foundationXMLParsesAWSResponses() throws {
        let tree = try XMLTree(
            parsing: Data(
                """
                <?xml version="1.0"?><A xmlns="http://x/"><B><C>one &amp; two</C><C><![CDATA[<raw>]]></C></B></A>
                """.utf8))
        #expect(tree.name == "A")
        #expect(tree.element("B")?.children("C").map(\.text) == ["one & two", "<raw>"])
        #expect(throws: AWSError.self) { try XMLTree(parsing: Data("<A><B></A>".utf8)) }
    }

    @Test(arguments: [
        (
            #"{"__type":"com.amazonaws.globalaccelerator#AcceleratorNotFoundException","Message":"gone"}"#,
            "AcceleratorNotFoundException", "gone"
        ),
        (#"{"__type":"ResourceNotFoundException","message":"no secret"}"#, "ResourceNotFoundException", "no secret"),
        (
            "<ErrorResponse><Error><Type>Sender</Type><Code>GlobalClusterNotFoundFault</Code><Message>none</Message></Error></ErrorResponse>",
            "GlobalClusterNotFoundFault", "none"
        ),
        (
            "<Response><Errors><Error><Code>Throttling</Code><Message>slow down</Message></Error></Errors></Response>",
            "Throttling", "slow down"
        ),
    ])
    func errorBodiesGiveCodeAndMessage(body: String, code: String, message: String) async throws {
        let transport = RecordingTransport(status: 400, body: body)
        let client = AWSServiceClient(
            service: .rds, configuration: AWSClientConfiguration(credentials: testCredentials), transport: transport)
        let error = await #expect(throws: AWSError.self) { try await client.query("DescribeGlobalClusters", []) }
        #expect(error?.code.rawValue == code)
        #expect(error?.message == message)
        #expect(error?.statusCode == 400)
        #expect(error?.operation == "rds:DescribeGlobalClusters")
    }

    @Test func refusedConnectionIsATransportFailure() async throws {
        let port = try freeLoopbackPort()
        let client = AWSServiceClient(
            service: .rds,
            configuration: AWSClientConfiguration(
                credentials: testCredentials,
                endpointOverride: AWSEndpoint(scheme: "http", host: "127.0.0.1", port: port),
                timeout: .seconds(5)))
        let error = await #expect(throws: AWSError.self) { try await client.query("DescribeGlobalClusters", []) }
        #expect(error?.code == .transportFailure)
    }
}
