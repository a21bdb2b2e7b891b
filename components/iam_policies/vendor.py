"""The vendor's other roles: data-plane-mgmt (cluster endpoint) and time-boxed troubleshooting."""

from __future__ import annotations

from components.iam_policies.common import Doc, document, statement


def data_plane_mgmt_policy(cluster_arn: str) -> Doc:
    """Enough to fetch the cluster endpoint; Kubernetes rights come from the EKS access entry."""
    return document(statement("DescribeDeploymentCluster", ["eks:DescribeCluster"], [cluster_arn]))


def troubleshooting_policy(account_id: str, region: str, cluster_name: str, until: str) -> Doc:
    """Read-only, and only until `until`: sessions opened before expiry stop working at expiry too."""
    before = {"DateLessThan": {"aws:CurrentTime": until}}
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:/aws/eks/{cluster_name}/*"
    return document(
        statement(
            "DescribeClusterNetworkAndLoadBalancers",
            [
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVolumes",
                "ec2:DescribeVpcs",
                "eks:DescribeAddon",
                "eks:DescribeCluster",
                "eks:DescribeNodegroup",
                "eks:DescribeUpdate",
                "eks:ListAddons",
                "eks:ListClusters",
                "eks:ListNodegroups",
                "eks:ListUpdates",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            "*",
            before,
        ),
        statement(
            "ReadClusterLogs",
            [
                "logs:DescribeLogStreams",
                "logs:FilterLogEvents",
                "logs:GetLogEvents",
                "logs:StartQuery",
            ],
            [log_groups, f"{log_groups}:log-stream:*"],
            before,
        ),
        statement(
            "ListLogGroupsAndQueryResults",
            ["logs:DescribeLogGroups", "logs:GetQueryResults", "logs:StopQuery"],
            "*",
            before,
        ),
    )
