//! ALB ownership: the service that carries each shared ALB's own actions (fixed responses,
//! redirects, the default action) in its IngressGroup is the first, by ECS service name, of the
//! ingress-mode services whose target groups sit on it. Found once for all services before any is
//! converted, so each service's translation knows whether it is the owner.

use crate::mappings::{LoadBalancingMode, Mappings};
use crate::model::read::Inputs;
use std::collections::BTreeMap;

/// The owning service of each ALB, by the ALB's ARN.
#[derive(Debug, Default)]
pub struct AlbOwners(BTreeMap<String, String>);

impl AlbOwners {
    pub fn find(inputs: &Inputs, mappings: &Mappings) -> AlbOwners {
        let mut owners: BTreeMap<String, String> = BTreeMap::new();
        for service in &inputs.services {
            let Some(name) = service.id.name.as_deref() else {
                continue;
            };
            if mappings.load_balancing.mode_of(name) != LoadBalancingMode::Ingress {
                continue;
            }
            let lbs = service
                .id
                .target_group_arns
                .iter()
                .flat_map(|arn| inputs.target_groups_at(arn))
                .flat_map(|tg| &tg.value.load_balancer_arns);
            for lb in lbs {
                match owners.get_mut(lb) {
                    Some(owner) if owner.as_str() <= name => {}
                    Some(owner) => *owner = name.to_string(),
                    None => {
                        owners.insert(lb.clone(), name.to_string());
                    }
                }
            }
        }
        AlbOwners(owners)
    }

    /// The ECS service name of the ALB's owner.
    pub fn of_lb(&self, lb_arn: &str) -> Option<&str> {
        self.0.get(lb_arn).map(String::as_str)
    }
}
