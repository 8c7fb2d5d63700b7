//! Server-sent events as the providers stream them: `event:` and `data:` lines, an empty line
//! ending each event, read from a response as its chunks arrive.

use std::time::Duration;

use super::ProviderError;

/// One event: its name (empty when it has none) and its data lines joined.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub event: String,
    pub data: String,
}

/// A response's events, in order.
pub struct Reader {
    response: reqwest::Response,
    buffer: Vec<u8>,
    /// The longest wait for the next chunk.
    idle: Duration,
}

impl Reader {
    pub fn new(response: reqwest::Response, idle: Duration) -> Reader {
        Reader {
            response,
            buffer: Vec::new(),
            idle,
        }
    }

    /// The next event; `None` when the stream ended.
    pub async fn next(&mut self) -> Result<Option<Message>, ProviderError> {
        loop {
            if let Some(message) = take_message(&mut self.buffer) {
                return Ok(Some(message));
            }
            let chunk = tokio::time::timeout(self.idle, self.response.chunk())
                .await
                .map_err(|_| {
                    ProviderError::Unavailable(format!("no event for {} ms", self.idle.as_millis()))
                })?
                .map_err(|error| {
                    ProviderError::Unavailable(format!("the stream broke: {error}"))
                })?;
            match chunk {
                Some(chunk) => self.buffer.extend_from_slice(&chunk),
                None => return Ok(take_rest(&mut self.buffer)),
            }
        }
    }
}

/// The first whole event in `buffer`, removed from it.
fn take_message(buffer: &mut Vec<u8>) -> Option<Message> {
    let (end, gap) = [&b"\r\n\r\n"[..], b"\n\n"]
        .iter()
        .filter_map(|gap| {
            buffer
                .windows(gap.len())
                .position(|window| window == *gap)
                .map(|at| (at, gap.len()))
        })
        .min()?;
    let block: Vec<u8> = buffer.drain(..end + gap).collect();
    Some(parse(&String::from_utf8_lossy(&block[..end])))
}

/// What is left when the stream ends without an empty line.
fn take_rest(buffer: &mut Vec<u8>) -> Option<Message> {
    let rest = String::from_utf8_lossy(buffer).trim().to_owned();
    buffer.clear();
    (!rest.is_empty()).then(|| parse(&rest))
}

fn parse(block: &str) -> Message {
    let mut message = Message::default();
    let mut data = Vec::new();
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => message.event = value.to_owned(),
            "data" => data.push(value),
            _ => {}
        }
    }
    message.data = data.join("\n");
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_at_empty_lines_whatever_the_line_ends() {
        let mut buffer =
            b"event: message_start\ndata: {\"a\":1}\n\n: a comment\r\ndata: [DONE]\r\n\r\ndata: par"
                .to_vec();
        assert_eq!(
            take_message(&mut buffer),
            Some(Message {
                event: "message_start".to_owned(),
                data: "{\"a\":1}".to_owned()
            })
        );
        assert_eq!(take_message(&mut buffer).unwrap().data, "[DONE]");
        assert_eq!(take_message(&mut buffer), None);
        buffer.extend_from_slice(b"tial\ndata: two\n");
        assert_eq!(take_rest(&mut buffer).unwrap().data, "partial\ntwo");
    }
}
