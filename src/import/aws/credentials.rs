//! Whose credentials read each account.
//!
//! The ambient credential chain (environment, `AWS_PROFILE` and ~/.aws/config, SSO, container and
//! instance roles) is resolved once before any call: a machine without credentials gets one line
//! that says so, not one SDK dump per account. Then per account: the inventory's `assumeRoleArn`
//! through `sts:AssumeRole`, or the ambient credentials themselves; either way checked to belong
//! to the account, so that a wrong profile never files one account's data under another's id.

use super::error::{Call, ImportError, ProfileNote, credentials_problem};
use super::{CallCounter, Options};
use crate::inventory::Account;
use aws_config::SdkConfig;
use aws_sdk_ecs::config::{ProvideCredentials, Region, SharedCredentialsProvider};

/// The session name of every assumed role (CloudTrail shows it).
const SESSION_NAME: &str = "ecs2eks-import";

/// Resolves the ambient credentials once; the error says why there are none, and what to do.
pub(crate) async fn check_ambient(base: &SdkConfig) -> Result<(), ImportError> {
    let no_credentials = |reason| ImportError::NoCredentials {
        call: None,
        profile: ProfileNote::of_environment(),
        reason,
    };
    let Some(provider) = base.credentials_provider() else {
        return Err(no_credentials(None));
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => Err(no_credentials(credentials_problem(&e).flatten())),
    }
}

/// The account's credentials: the assumed role, or the ambient chain, checked to be the account's.
pub(crate) async fn for_account(
    base: &SdkConfig,
    account: &Account,
    region: &str,
    counter: &CallCounter,
    options: &Options,
) -> Result<SharedCredentialsProvider, ImportError> {
    let call = |action: &str| Call {
        account: account.id.clone(),
        region: None,
        action: action.to_string(),
        subject: None,
        role: account.assume_role_arn.clone(),
        endpoint: options.endpoint_url.clone(),
    };
    match &account.assume_role_arn {
        Some(role_arn) => {
            let sts = sts_client(base, region, counter, None);
            assume_role(
                &sts,
                role_arn,
                call("sts:AssumeRole").about(role_arn.as_str()),
            )
            .await
        }
        None => {
            let provider =
                base.credentials_provider()
                    .ok_or_else(|| ImportError::NoCredentials {
                        call: None,
                        profile: ProfileNote::of_environment(),
                        reason: None,
                    })?;
            let sts = sts_client(base, region, counter, Some(provider.clone()));
            let call = call("sts:GetCallerIdentity");
            let identity = sts
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| call.clone().failed(&e))?;
            belongs_to_account(identity.account().unwrap_or_default(), call)?;
            Ok(provider)
        }
    }
}

/// An STS client in `region`, with the ambient credentials or `provider`.
fn sts_client(
    base: &SdkConfig,
    region: &str,
    counter: &CallCounter,
    provider: Option<SharedCredentialsProvider>,
) -> aws_sdk_sts::Client {
    let mut builder = aws_sdk_sts::config::Builder::from(base)
        .region(Region::new(region.to_string()))
        .interceptor(counter.clone());
    if let Some(p) = provider {
        builder = builder.credentials_provider(p);
    }
    aws_sdk_sts::Client::from_conf(builder.build())
}

/// `sts:AssumeRole` into `role_arn` (one hour, session `ecs2eks-import`). The assumed role's ARN
/// names its account: no `GetCallerIdentity` needed.
async fn assume_role(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    call: Call,
) -> Result<SharedCredentialsProvider, ImportError> {
    let answer = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(SESSION_NAME)
        .duration_seconds(3600)
        .send()
        .await
        .map_err(|e| call.clone().failed(&e))?;
    let c = answer
        .credentials()
        .ok_or_else(|| call.clone().unreadable("the answer holds no credentials"))?;
    let assumed = answer
        .assumed_role_user()
        .map(|u| u.arn())
        .and_then(|arn| arn.split(':').nth(4))
        .unwrap_or_default();
    belongs_to_account(assumed, call)?;
    let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
    Ok(SharedCredentialsProvider::new(
        aws_sdk_ecs::config::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "ecs2eks-assume-role",
        ),
    ))
}

/// Credentials of account `found` may only read the account of `call`.
fn belongs_to_account(found: &str, call: Call) -> Result<(), ImportError> {
    if found == call.account {
        Ok(())
    } else {
        Err(ImportError::WrongAccount {
            call: Box::new(call),
            found: found.to_string(),
        })
    }
}
