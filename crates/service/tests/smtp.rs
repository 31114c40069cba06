//! The SMTP mailer delivers to a real SMTP conversation on loopback: a
//! minimal server records what it receives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_core::{Email, Timestamp};
use orgsso_service::{Mail, Mailer, SmtpMailer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Speaks just enough SMTP (RFC 5321) to accept one message; returns the transcript.
async fn accept_one_message(listener: TcpListener) -> String {
    let (socket, _) = listener.accept().await.unwrap();
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut transcript = String::new();
    write.write_all(b"220 test ESMTP\r\n").await.unwrap();
    let mut in_data = false;
    while let Some(line) = lines.next_line().await.unwrap() {
        transcript.push_str(&line);
        transcript.push('\n');
        if in_data {
            if line == "." {
                in_data = false;
                write.write_all(b"250 queued\r\n").await.unwrap();
            }
            continue;
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 test\r\n",
            "DATA" => {
                in_data = true;
                b"354 go ahead\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await.unwrap();
                break;
            }
            _ => b"250 ok\r\n",
        };
        write.write_all(reply).await.unwrap();
    }
    transcript
}

#[tokio::test]
async fn verification_mail_is_delivered_over_smtp() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(accept_one_message(listener));
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "orgsso <noreply@example.com>",
    )
    .unwrap();
    let mail = Mail {
        to: Email::parse("alice@example.com").unwrap(),
        subject: "Verify your email address".into(),
        body: "open https://hub.example/verify-email?token=abc".into(),
    };
    mailer.send(mail, Timestamp::from_unix(0)).await.unwrap();
    drop(mailer);
    let transcript = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert!(
        transcript.contains("RCPT TO:<alice@example.com>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Subject: Verify your email address"),
        "{transcript}"
    );
    assert!(
        transcript.contains("verify-email?token=abc"),
        "{transcript}"
    );
}

#[test]
fn a_malformed_smtp_url_is_refused_at_start() {
    assert!(SmtpMailer::new("not a url", "noreply@example.com").is_err());
    assert!(SmtpMailer::new("smtp://127.0.0.1:25", "not an address").is_err());
}
