//! argon2id hashing of user passwords, on a fixed pool of hashing threads.
//!
//! One argon2id run holds 19 MiB and tens of milliseconds of CPU. Runs go to
//! [`HashingLimits::workers`] threads, each reusing one memory buffer, behind a queue of
//! [`HashingLimits::queue`] waiting runs; beyond that the caller is refused at once with
//! [`Busy`]. So a burst of logins can neither queue without end nor grow memory past
//! `workers × 19 MiB`, and that memory is allocated once and reused.

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use orgsso_core::{Entropy, Password};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// How much hashing may run and wait at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashingLimits {
    /// Runs at once; one per core keeps them from slowing each other down.
    pub workers: usize,
    /// Runs waiting for a worker before new ones are refused.
    pub queue: usize,
}

impl Default for HashingLimits {
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue: DEFAULT_QUEUE,
        }
    }
}

/// A handful of runs per core: at ~50 ms a run, a queued login waits well under a second.
pub const DEFAULT_QUEUE: usize = 16;

/// Seconds a refused caller is told to wait: the queue drains in about that.
pub const BUSY_RETRY_AFTER_S: i64 = 1;

/// Every hashing thread is occupied and the queue is full.
#[derive(Debug, PartialEq, Eq)]
pub struct Busy;

/// Counters for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashingStats {
    pub running: usize,
    pub queued: usize,
    /// The most runs ever in progress at once since start.
    pub peak_running: usize,
    /// Runs refused because the queue was full.
    pub refused: u64,
}

#[derive(Default)]
struct Counters {
    running: AtomicUsize,
    queued: AtomicUsize,
    peak_running: AtomicUsize,
    refused: AtomicU64,
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

pub struct Passwords {
    queue: Mutex<SyncSender<Job>>,
    counters: Arc<Counters>,
}

/// The PHC string of "not a real password" under a fixed salt and the default parameters.
/// Verified against when the user does not exist, so unknown users and wrong passwords
/// take the same time. A unit test recomputes it.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$BwcHBwcHBwcHBwcHBwcHBw$p5DrfDQ0lBJwUgrIEUPt8MdFWcJghGi5x7fksf5FU4A";

impl Passwords {
    pub fn new(limits: HashingLimits) -> Self {
        let (sender, receiver) = sync_channel::<Job>(limits.queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..limits.workers.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&receiver));
            if let Err(err) = spawned {
                tracing::error!(error = %err, "could not start a password hashing thread");
            }
        }
        Self {
            queue: Mutex::new(sender),
            counters: Arc::default(),
        }
    }

    pub fn stats(&self) -> HashingStats {
        let c = &self.counters;
        HashingStats {
            running: c.running.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
            peak_running: c.peak_running.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
        }
    }

    /// A PHC string of `password` under a fresh salt, or `Ok(None)` if hashing failed.
    pub async fn hash(
        &self,
        password: Password,
        entropy: &dyn Entropy,
    ) -> Result<Option<String>, Busy> {
        let mut salt = [0u8; 16];
        entropy.fill(&mut salt);
        let hash = self
            .run(move |memory| hash_with(password.expose().as_bytes(), &salt, memory))
            .await?;
        Ok(hash.flatten())
    }

    /// Whether `candidate` matches `stored`; with no stored hash, runs against a dummy one
    /// and answers false.
    pub async fn verify(&self, candidate: &str, stored: Option<String>) -> Result<bool, Busy> {
        let candidate = candidate.to_owned();
        let ok = self
            .run(move |memory| {
                let hash = stored.as_deref().unwrap_or(DUMMY_HASH);
                verify_with(candidate.as_bytes(), hash, memory) && stored.is_some()
            })
            .await?;
        Ok(ok == Some(true))
    }

    /// Runs `f` on a hashing thread; `Ok(None)` if the pool is gone.
    async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> R + Send + 'static,
    ) -> Result<Option<R>, Busy> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let counters = self.counters.clone();
        let job: Job = Box::new(move |memory| {
            counters.queued.fetch_sub(1, Ordering::Relaxed);
            let running = counters.running.fetch_add(1, Ordering::Relaxed) + 1;
            counters.peak_running.fetch_max(running, Ordering::Relaxed);
            let result = f(memory);
            counters.running.fetch_sub(1, Ordering::Relaxed);
            // The caller may have gone (client disconnected): nothing to tell.
            let _ = reply.send(result);
        });
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        let sent = match self.queue.lock() {
            Ok(queue) => queue.try_send(job),
            Err(poisoned) => poisoned.into_inner().try_send(job),
        };
        match sent {
            Ok(()) => Ok(answer.await.ok()),
            Err(TrySendError::Full(_)) => {
                self.counters.queued.fetch_sub(1, Ordering::Relaxed);
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
                Err(Busy)
            }
            Err(TrySendError::Disconnected(_)) => {
                self.counters.queued.fetch_sub(1, Ordering::Relaxed);
                Ok(None)
            }
        }
    }
}

/// A hashing thread: takes jobs until the pool is dropped. Its buffer is allocated on the
/// first job and reused by every later one.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

/// `memory` grown to what `params` needs (it never shrinks, so it is allocated once).
fn blocks_for<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    &mut memory[..needed]
}

fn hash_with(password: &[u8], salt: &[u8; 16], memory: &mut Vec<Block>) -> Option<String> {
    let params = Params::default(); // argon2id, OWASP's recommended parameters
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(password, salt, &mut out, blocks_for(memory, &params))
        .ok()?;
    let salt = SaltString::encode_b64(salt).ok()?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().ok()?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).ok()?),
    };
    Some(hash.to_string())
}

/// Recomputes `stored` (a PHC string, with its own parameters) for `candidate`.
fn verify_with(candidate: &[u8], stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    if argon2
        .hash_password_into_with_memory(candidate, salt, &mut out, blocks_for(memory, &params))
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|out| out == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    use orgsso_core::OsEntropy;

    fn limits(workers: usize, queue: usize) -> HashingLimits {
        HashingLimits { workers, queue }
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let p = Passwords::new(limits(1, 4));
        let hash = p
            .hash(Password::parse("correct horse").unwrap(), &OsEntropy)
            .await
            .unwrap()
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(p.verify("correct horse", Some(hash.clone())).await.unwrap());
        assert!(!p.verify("wrong horse", Some(hash.clone())).await.unwrap());
        assert!(!p.verify("not a real password", None).await.unwrap());
        // The stock argon2 API agrees with the pooled one, both ways.
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        let stock = Argon2::default()
            .hash_password(b"other horse", &SaltString::encode_b64(&[1; 16]).unwrap())
            .unwrap()
            .to_string();
        assert!(p.verify("other horse", Some(stock)).await.unwrap());
    }

    #[test]
    fn the_dummy_hash_is_of_the_current_parameters() {
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let fresh = Argon2::default()
            .hash_password(b"not a real password", &salt)
            .unwrap()
            .to_string();
        assert_eq!(fresh, DUMMY_HASH);
    }

    #[tokio::test]
    async fn runs_beyond_the_workers_and_the_queue_are_refused_at_once() {
        let p = Arc::new(Passwords::new(limits(1, 1)));
        let runs: Vec<_> = (0..6)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move { p.verify("guess", None).await })
            })
            .collect();
        let mut refused = 0;
        for run in runs {
            match run.await.unwrap() {
                Ok(ok) => assert!(!ok),
                Err(Busy) => refused += 1,
            }
        }
        let stats = p.stats();
        assert!(refused >= 1, "{stats:?}");
        assert_eq!(stats.refused, refused);
        assert_eq!(stats.peak_running, 1);
        assert_eq!((stats.running, stats.queued), (0, 0));
    }
}
