import Failover

extension Deployment {
    /// The deployment on AWS (section `aws`): what the runbook needs to write the AWS CLI form of each procedure.
    /// The values come from `terraform -chdir=deploy/aws output -json`.
    public struct AWS: Hashable, Sendable {
        /// The region whose RDS API manages the global cluster.
        public var controlRegion: RegionName = "us-east-1"
        /// The Aurora global database (`global_cluster_id`).
        public var globalCluster: String = ""
        /// The Global Accelerator (its API lives in us-west-2 whatever the deployment's regions).
        public var acceleratorARN: String?
        /// The Route 53 hosted zone of `recordName`.
        public var hostedZoneID: String?
        /// The name clients use (`route53_name`); the latency records are at `latency.<recordName>`.
        public var recordName: String?
        /// The prefix of the CloudWatch alarms; a region's alarms are named `<prefix>-<region>-…`.
        public var alarmPrefix: String = "customer-portal"
        /// Per region: its Aurora cluster, Global Accelerator endpoint group and Route 53 health check.
        public var regions: [RegionName: RegionResources] = [:]
        public init() {}

        /// The AWS resources of one region.
        public struct RegionResources: Hashable, Sendable {
            /// The region's Aurora cluster ARN (`arn:aws:rds:REGION:ACCOUNT:cluster:NAME`).
            public var dbClusterARN: String
            /// The region's Global Accelerator endpoint group ARN (`accelerator_endpoint_group_arns`).
            public var endpointGroupARN: String
            /// The region's Route 53 health check (`route53_health_check_ids`), when there is one.
            public var healthCheckID: String?

            public init(dbClusterARN: String, endpointGroupARN: String, healthCheckID: String? = nil) {
                self.dbClusterARN = dbClusterARN
                self.endpointGroupARN = endpointGroupARN
                self.healthCheckID = healthCheckID
            }
        }
    }
}
