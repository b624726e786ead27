//! Slack, at parity with Chatwoot's live integration, in both directions:
//!
//! - [`outgoing`]: when a Chatwoot message is posted, its text and the `chat.postMessage` body.
//! - [`incoming`]: what an Events API body asks for (handshake, thread reply, link unfurl).
//! - [`upload`]: a message's attachments through Slack's external-upload flow.
//! - [`unfurl`]: the conversation card Slack shows for a shared Chatwoot link.
//! - [`web_api`]: Slack's `{ok, error}` answers and HTTP failures mapped onto what to do next.

pub mod incoming;
pub mod outgoing;
pub mod unfurl;
pub mod upload;
pub mod web_api;
