import AWS
import Foundation
import Testing

/// Route 53 against moto: health checks and latency records, and the request body against the API model.
@Suite struct Route53Tests {
    @Test func latencyRecordsAndHealthChecksAgainstMoto() async throws {
        try await withMotoServer { moto in
            let ids = try await moto.boto3(
                """
                r53 = client("route53")
                zone = r53.create_hosted_zone(Name="portal.example.com", CallerReference="zone-1")["HostedZone"]["Id"]
                check = r53.create_health_check(CallerReference="check-1", HealthCheckConfig={"Type": "HTTPS",
                    "FullyQualifiedDomainName": "use1.portal.example.com", "ResourcePath": "/health/ready", "Port": 443})["HealthCheck"]["Id"]
                print(zone + " " + check)
                """
            ).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let zone = try #require(ids.first)
            let check = try #require(ids.last)
            let route53 = AWSSession(configuration: moto.configuration()).route53()

            let checks = try await route53.listHealthChecks()
            #expect(checks.first { $0.id == check }?.fullyQualifiedDomainName == "use1.portal.example.com")

            let changes = [("us-east-1", "192.0.2.10", check), ("eu-west-1", "192.0.2.20", nil)].map {
                ResourceRecordSetChange(
                    .upsert,
                    ResourceRecordSet(
                        name: "api.portal.example.com.", type: "A", setIdentifier: $0.0, region: $0.0, ttl: 60,
                        values: [$0.1], healthCheckID: $0.2))
            }
            let change = try await route53.changeResourceRecordSets(
                hostedZoneID: zone, changes: changes, comment: "drill <latency> & records")
            #expect(change.id.contains("/change/") || !change.id.isEmpty)

            let records = try await moto.boto3(
                """
                sets = client("route53").list_resource_record_sets(HostedZoneId="\(zone)")["ResourceRecordSets"]
                print(json.dumps(sorted([[s.get("SetIdentifier"), s.get("Region"), s.get("HealthCheckId"), s["ResourceRecords"][0]["Value"]]
                    for s in sets if s["Type"] == "A"])))
                """)
            let parsed = try JSONSerialization.jsonObject(with: Data(records.utf8)) as? [[Any]]
            #expect(parsed?.count == 2)
            #expect(parsed?.first?[1] as? String == "eu-west-1")
            #expect(parsed?.last?[2] as? String == check)

            let observations = try await route53.getHealthCheckStatus(check)
            #expect(!observations.isEmpty)
            #expect(observations.allSatisfy { $0.isHealthy })

            let missing = await #expect(throws: AWSError.self) {
                try await route53.getHealthCheckStatus("no-such-check")
            }
            #expect(missing?.code.rawValue == "NoSuchHealthCheck")
            #expect(missing?.statusCode == 404)
        }
    }

    @Test func changeBatchConformsToTheAPIModel() async throws {
        let transport = RecordingTransport(
            body: """
                <?xml version="1.0" encoding="UTF-8"?>
                <ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
                <ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status>
                <SubmittedAt>2017-02-10T01:36:41.958Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>
                """)
        let route53 = recordingSession(transport).route53()
        let change = try await route53.changeResourceRecordSets(
            hostedZoneID: "/hostedzone/Z3M3LMPEXAMPLE",
            changes: [
                ResourceRecordSetChange(
                    .upsert,
                    ResourceRecordSet(
                        name: "api.portal.example.com.", type: "A", setIdentifier: "eu-west-1", region: "eu-west-1",
                        aliasTarget: AliasTarget(
                            hostedZoneID: "Z2P70J7EXAMPLE", dnsName: "a1.awsglobalaccelerator.com."),
                        healthCheckID: "abcdef11-2222-3333-4444-555555fedcba"))
            ])
        #expect(change == ChangeInfo(id: "/change/C2682N5HXP0BZ4", status: "PENDING"))
        let request = try #require(transport.requests.first)
        #expect(request.host == "route53.amazonaws.com")
        #expect(request.path == "/2013-04-01/hostedzone/Z3M3LMPEXAMPLE/rrset/")
        #expect(request.headers["authorization"]?.contains("/us-east-1/route53/aws4_request") == true)
        let problems = try await APIModel.problems(
            with: request, service: "route53", operation: "ChangeResourceRecordSets")
        #expect(problems == [])
    }
}
