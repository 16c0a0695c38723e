//! IAM: `aws iam get-account-authorization-details` (roles and managed policies) and
//! `aws iam get-role` output. They tell which permissions a task role carries into EKS.

use super::{Read, Sourced, typed};
use crate::error::InputError;
use crate::model::iam::{ManagedPolicy, Role};
use serde_json::Value;

pub fn is_authorization_details(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    ["RoleDetailList", "UserDetailList", "GroupDetailList"]
        .iter()
        .any(|k| o.get(*k).is_some_and(Value::is_array))
        || o.get("Policies")
            .and_then(Value::as_array)
            .is_some_and(|p| {
                p.first()
                    .is_some_and(|first| first.get("PolicyVersionList").is_some())
            })
}

pub fn is_get_role(v: &Value) -> bool {
    v.get("Role")
        .and_then(Value::as_object)
        .is_some_and(|r| r.contains_key("RoleName") || r.contains_key("Arn"))
}

pub fn read_authorization_details(input: &str, mut value: Value, read: &mut Read) {
    if let Some(Value::Array(roles)) = value.get_mut("RoleDetailList").map(Value::take) {
        for (i, raw) in roles.into_iter().enumerate() {
            push_role(input, &format!("RoleDetailList[{i}]"), raw, read);
        }
    }
    let policies = super::read_list::<ManagedPolicy>(
        input,
        value,
        "Policies",
        |_| true,
        &mut read.inputs.errors,
    );
    read.inputs.managed_policies.extend(policies);
}

pub fn read_get_role(input: &str, mut value: Value, read: &mut Read) {
    let raw = value["Role"].take();
    push_role(input, "Role", raw, read);
}

fn push_role(input: &str, path: &str, raw: Value, read: &mut Read) {
    match typed::<Role>(input, path, raw) {
        Ok(role) if role.role_name.is_none() && role.arn.is_none() => {
            read.inputs.errors.push(InputError::Field {
                input: input.to_string(),
                path: path.to_string(),
                message: "missing required field: the role's RoleName or Arn".to_string(),
            })
        }
        Ok(role) => read.inputs.roles.push(Sourced {
            input: input.to_string(),
            path: path.to_string(),
            value: role,
            findings: Vec::new(),
        }),
        Err(e) => read.inputs.errors.push(e),
    }
}

#[cfg(test)]
mod tests {
    use crate::import::read_bytes;
    use crate::model::read::Inputs;

    #[test]
    fn both_shapes_are_recognised() {
        let mut inputs = Inputs::default();
        read_bytes(
            "details.json",
            br#"{"RoleDetailList": [{"RoleName": "a", "RolePolicyList": []}],
                 "Policies": [{"PolicyName": "p", "PolicyVersionList": []}]}"#,
            &mut inputs,
        );
        read_bytes(
            "role.json",
            br#"{"Role": {"RoleName": "b", "Arn": "arn:aws:iam::1:role/b"}}"#,
            &mut inputs,
        );
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        assert_eq!(inputs.roles.len(), 2);
        assert_eq!(inputs.roles[0].path, "RoleDetailList[0]");
        assert!(inputs.roles[0].value.permissions_known());
        assert!(!inputs.roles[1].value.permissions_known());
        assert_eq!(inputs.managed_policies.len(), 1);
    }

    #[test]
    fn a_wrong_document_names_its_path() {
        let mut inputs = Inputs::default();
        read_bytes(
            "details.json",
            br#"{"RoleDetailList": [{"RoleName": "a", "AssumeRolePolicyDocument": 3}]}"#,
            &mut inputs,
        );
        let e = inputs.errors[0].to_string();
        assert!(
            e.contains("RoleDetailList[0].AssumeRolePolicyDocument"),
            "{e}"
        );
    }
}
