//! EC2 security groups: `aws ec2 describe-security-groups` output, read for the VPC of each group
//! a service names, so the pods' security groups can be checked against the cluster's VPC.

use super::Read;
use crate::model::aws::SecurityGroup;
use serde_json::Value;

pub fn is_describe_security_groups(v: &Value) -> bool {
    v.get("SecurityGroups").is_some_and(Value::is_array)
}

pub fn read_describe_security_groups(input: &str, value: Value, read: &mut Read) {
    let errors = &mut read.inputs.errors;
    let groups =
        super::read_list::<SecurityGroup>(input, value, "SecurityGroups", |_| true, errors);
    read.inputs.security_groups.extend(groups);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn security_groups_are_read_and_found_by_id() {
        let v = json!({"SecurityGroups": [
            {"GroupId": "sg-1", "GroupName": "orders", "VpcId": "vpc-a", "OwnerId": "111111111111",
             "IpPermissions": [], "Description": "orders"},
            {"GroupId": "sg-2", "GroupName": "db", "VpcId": "vpc-b"}]});
        assert!(is_describe_security_groups(&v));
        assert!(!is_describe_security_groups(&json!({"Services": []})));
        let mut read = Read::default();
        read_describe_security_groups("sg.json", v, &mut read);
        let g = read.inputs.security_group("sg-2").unwrap();
        assert_eq!(g.value.vpc_id.as_deref(), Some("vpc-b"));
        assert_eq!(g.path, "SecurityGroups[1]");
        assert!(read.inputs.security_group("sg-3").is_none());
    }
}
