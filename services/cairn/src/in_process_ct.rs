//! The CA's way to the CT log when both run in this process: a direct call, no HTTP.

use ct_server::{CtError, CtState};
use ct_types::SignedCertificateTimestamp;
use fulcio_server::{CtSubmitError, PrecertificateLog};

/// The CT log of this process, as the CA's [`PrecertificateLog`].
#[derive(Debug, Clone)]
pub(crate) struct InProcessCt(pub(crate) CtState);

#[async_trait::async_trait]
impl PrecertificateLog for InProcessCt {
    async fn add_pre_chain(
        &self,
        chain: &[Vec<u8>],
    ) -> Result<SignedCertificateTimestamp, CtSubmitError> {
        self.0.add_pre_chain(chain).await.map_err(|e| match e {
            CtError::Overloaded | CtError::ShuttingDown => {
                CtSubmitError::Unavailable(e.to_string())
            }
            CtError::BadChain(_) | CtError::BadRequest(_) | CtError::TooLarge { .. } => {
                CtSubmitError::Refused(e.to_string())
            }
            other => CtSubmitError::Unavailable(other.to_string()),
        })
    }
}
