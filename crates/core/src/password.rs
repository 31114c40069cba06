//! Passwords as typed by a user: length rules only; hashing is argon2id in `service`.

use crate::Secret;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least 8 characters long")]
    TooShort,
    // Bounded so a huge body cannot make argon2 work for minutes.
    #[error("password must be at most 256 characters long")]
    TooLong,
}

#[derive(Debug, Clone)]
pub struct Password(Secret<String>);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let n = raw.chars().count();
        if n < 8 {
            return Err(PasswordError::TooShort);
        }
        // Characters, as the message and the API document say; at most 1 KiB.
        if n > 256 {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(Secret::new(raw.to_owned())))
    }
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert_eq!(
            Password::parse("short").unwrap_err(),
            PasswordError::TooShort
        );
        assert_eq!(
            Password::parse(&"x".repeat(300)).unwrap_err(),
            PasswordError::TooLong
        );
        assert!(Password::parse("correct horse").is_ok());
    }
}
