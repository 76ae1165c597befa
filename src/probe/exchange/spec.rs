//! A check is data: the request it sends and the decoder that judges the reply. The check kinds
//! (`tds`, `smb`, `amqp`) each write one `Exchange`; `run` and `explain` read it.

/// The most a reply may grow to before it is judged: every handshake here answers in far less.
pub const READ_CAP: usize = 4096;

/// What a decoder makes of the bytes received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decode {
    /// A valid beginning: keep reading.
    NeedMore,
    /// A complete, understood reply; the text says what it was (version, dialect …).
    Done(String),
    /// Not the expected protocol; the text says why.
    Invalid(String),
}

/// One request/reply exchange: what to send and how to read the answer.
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// The protocol's short name for evidence (`tds`, `smb`, `amqp`).
    pub protocol: &'static str,
    /// What is sent, for details ("TDS PRELOGIN").
    pub request_name: &'static str,
    /// The request's bytes.
    pub request: &'a [u8],
    /// Judges the bytes received so far; called after every read.
    pub decode: fn(&[u8]) -> Decode,
}
