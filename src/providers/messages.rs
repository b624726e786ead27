//! Chatwoot's messages as the providers see them: the message types and the `chat` scope (what a
//! conversation's transcript is made of for an AI provider).

/// Chatwoot's `message_type` enum (incoming 0, outgoing 1, activity 2, template 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageType {
    #[default]
    Incoming,
    Outgoing,
    Activity,
    Template,
}

impl MessageType {
    /// From the model's value: the enum's name (`"incoming"`, a Symbol's text) or its integer.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "incoming" | "0" => MessageType::Incoming,
            "outgoing" | "1" => MessageType::Outgoing,
            "activity" | "2" => MessageType::Activity,
            "template" | "3" => MessageType::Template,
            _ => return None,
        })
    }
}

/// One message of a conversation, as much of it as a transcript needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatMessage {
    pub message_type: MessageType,
    pub private: bool,
    pub content: String,
    /// The sender's name (a transcript shows it); empty when there is none.
    pub sender_name: String,
}

impl ChatMessage {
    /// Chatwoot's `chat` scope: no activity messages and no private notes, so incoming, outgoing
    /// and template messages that the customer can see.
    pub fn is_chat(&self) -> bool {
        !self.private && self.message_type != MessageType::Activity
    }

    pub fn incoming(&self) -> bool {
        self.message_type == MessageType::Incoming
    }
}

/// The last `limit` chat messages of `messages` (oldest first in, oldest first out).
pub fn last_chat(messages: &[ChatMessage], limit: usize) -> Vec<&ChatMessage> {
    let mut chat: Vec<&ChatMessage> = messages
        .iter()
        .rev()
        .filter(|m| m.is_chat())
        .take(limit)
        .collect();
    chat.reverse();
    chat
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(message_type: MessageType, private: bool, content: &str) -> ChatMessage {
        ChatMessage {
            message_type,
            private,
            content: content.into(),
            sender_name: String::new(),
        }
    }

    #[test]
    fn chat_scope_excludes_private_notes_and_activity() {
        use MessageType::*;
        let all = [
            m(Incoming, false, "a"),
            m(Template, false, "b"),
            m(Outgoing, true, "note"),
            m(Activity, false, "assigned"),
            m(Outgoing, false, "c"),
        ];
        let kept: Vec<&str> = last_chat(&all, 10)
            .iter()
            .map(|m| m.content.as_str())
            .collect();
        assert_eq!(kept, ["a", "b", "c"]);
        let last_two: Vec<&str> = last_chat(&all, 2)
            .iter()
            .map(|m| m.content.as_str())
            .collect();
        assert_eq!(last_two, ["b", "c"]);
        assert_eq!(MessageType::parse("2"), Some(Activity));
        assert_eq!(MessageType::parse("bot"), None);
    }
}
