import AWS
import Foundation
import Testing

/// The signer against the published AWS SigV4 test suite and against botocore's `SigV4Auth`.
@Suite struct SigV4SignerTests {
    static let suiteTime = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z, the suite's time
    static let suiteSigner = SigV4Signer(credentials: testCredentials, region: "us-east-1", service: "service")
    static let scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

    /// Expected values of a few vectors of the AWS Signature Version 4 test suite
    /// (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html), as quoted by SDK test fixtures.
    static let suiteVectors: [(name: String, request: AWSHTTPRequest, expected: String)] = [
        (
            "get-vanilla", AWSHTTPRequest(method: "GET", host: "example.amazonaws.com"),
            "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        ),
        (
            "get-vanilla-query-order-key-case",
            AWSHTTPRequest(
                method: "GET", host: "example.amazonaws.com",
                query: [QueryParameter("Param2", "value2"), QueryParameter("Param1", "value1")]),
            "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        (
            "post-vanilla", AWSHTTPRequest(method: "POST", host: "example.amazonaws.com"),
            "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        ),
        (
            "post-header-value-case",
            AWSHTTPRequest(method: "POST", host: "example.amazonaws.com", headers: ["My-Header1": "VALUE1"]),
            "SignedHeaders=host;my-header1;x-amz-date, "
                + "Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"
        ),
        (
            "post-x-www-form-urlencoded",
            AWSHTTPRequest(
                method: "POST", host: "example.amazonaws.com",
                headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data("Param1=value1".utf8)),
            "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        ),
    ]

    @Test(arguments: 0..<5)
    func matchesTheAWSTestSuite(vector index: Int) {
        let vector = Self.suiteVectors[index]
        let signed = Self.suiteSigner.signed(vector.request, at: Self.suiteTime)
        #expect(signed.headers["authorization"] == Self.scope + vector.expected, "\(vector.name)")
        #expect(signed.headers["x-amz-date"] == "20150830T123600Z")
        #expect(signed.headers["host"] == "example.amazonaws.com")
    }

    @Test func sessionTokenIsSentAndSignedButNeverPrinted() {
        var credentials = testCredentials
        credentials.sessionToken = "FwoGZXIvYXdzEXAMPLETOKEN"
        let signed = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "rds")
            .signed(AWSHTTPRequest(method: "POST", host: "rds.eu-west-1.amazonaws.com"), at: Self.suiteTime)
        #expect(signed.headers["x-amz-security-token"] == "FwoGZXIvYXdzEXAMPLETOKEN")
        #expect(signed.headers["authorization"]?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token") == true)
        #expect(!"\(credentials)".contains("EXAMPLETOKEN"))
        #expect(!"\(credentials)".contains(credentials.secretAccessKey))
    }

    @Test func pathsAndQueriesArePercentEncodedTheAWSWay() {
        let request = AWSHTTPRequest(
            method: "GET", host: "route53.amazonaws.com", path: "/2013-04-01/healthcheck/a b+c/status",
            query: [QueryParameter("marker", "x y/z~")])
        #expect(
            request.url == "https://route53.amazonaws.com/2013-04-01/healthcheck/a%20b%2Bc/status?marker=x%20y%2Fz~")
    }

    /// Requests of every shape the clients send, signed here and by botocore with the same inputs and time.
    static let botocoreCases:
        [(name: String, request: AWSHTTPRequest, region: String, service: String, token: String?)] = [
            (
                "GET with query",
                AWSHTTPRequest(
                    method: "GET", host: "route53.amazonaws.com", path: "/2013-04-01/healthcheck",
                    query: [QueryParameter("maxitems", "100"), QueryParameter("marker", "abc def")]),
                "us-east-1", "route53", nil
            ),
            (
                "POST with JSON body",
                AWSHTTPRequest(
                    method: "POST", host: "globalaccelerator.us-west-2.amazonaws.com",
                    headers: [
                        "content-type": "application/x-amz-json-1.1",
                        "x-amz-target": "GlobalAccelerator_V20180706.UpdateEndpointGroup",
                    ],
                    body: Data(
                        #"{"EndpointGroupArn":"arn:aws:globalaccelerator::1:accelerator/a/listener/b/endpoint-group/c","TrafficDialPercentage":0}"#
                            .utf8)),
                "us-west-2", "globalaccelerator", nil
            ),
            (
                "POST with form body",
                AWSHTTPRequest(
                    method: "POST", host: "rds.eu-west-1.amazonaws.com",
                    headers: ["content-type": "application/x-www-form-urlencoded; charset=utf-8"],
                    body: AWSURIEncoding.formBody([
                        QueryParameter("Action", "FailoverGlobalCluster"), QueryParameter("Version", "2014-10-31"),
                        QueryParameter("TargetDbClusterIdentifier", "arn:aws:rds:eu-west-1:1:cluster:portal"),
                    ])),
                "eu-west-1", "rds", nil
            ),
            (
                "session token",
                AWSHTTPRequest(
                    method: "POST", host: "secretsmanager.us-east-1.amazonaws.com",
                    headers: [
                        "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue",
                    ],
                    body: Data(#"{"SecretId":"portal/jwt"}"#.utf8)),
                "us-east-1", "secretsmanager", "FwoGZXIvYXdzEXAMPLE//token+with/odd=chars"
            ),
            (
                "path needing URI-encoding, and a port",
                AWSHTTPRequest(
                    method: "GET", scheme: "http", host: "127.0.0.1", port: 5000,
                    path: "/2013-04-01/healthcheck/id with space+plus:colon/status",
                    query: [QueryParameter("a", "1/2"), QueryParameter("A", "ü"), QueryParameter("a", "0")]),
                "us-east-1", "route53", nil
            ),
        ]

    @Test func authorizationMatchesBotocore() async throws {
        var ours: [String] = []
        var inputs: [[String: Any]] = []
        for test in Self.botocoreCases {
            var credentials = testCredentials
            credentials.sessionToken = test.token
            let signed = SigV4Signer(credentials: credentials, region: test.region, service: test.service)
                .signed(test.request, at: Self.suiteTime)
            ours.append(signed.headers["authorization"] ?? "")
            inputs.append([
                "method": test.request.method, "url": test.request.url, "region": test.region,
                "service": test.service, "token": test.token ?? "", "headers": test.request.headers,
                "body": String(decoding: test.request.body, as: UTF8.self),
            ])
        }
        let script = """
            import datetime, json, sys
            import botocore.auth
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            fixed = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)
            botocore.auth.get_current_datetime = lambda *args, **kwargs: fixed
            out = []
            for case in json.load(sys.stdin):
                request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode(), headers=case["headers"])
                credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", case["token"] or None)
                SigV4Auth(credentials, case["service"], case["region"]).add_auth(request)
                out.append(request.headers["Authorization"])
            print(json.dumps(out))
            """
        let input = String(decoding: try JSONSerialization.data(withJSONObject: inputs), as: UTF8.self)
        let theirs = try JSONDecoder().decode([String].self, from: Data(try await runPython(script, input: input).utf8))
        #expect(theirs.count == ours.count)
        for (index, test) in Self.botocoreCases.enumerated() where index < theirs.count {
            #expect(ours[index] == theirs[index], "\(test.name)")
        }
    }
}
