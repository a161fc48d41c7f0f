//! Exit statuses. The numbers are documented in `--help` and the README and never change.

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every name passes.
    Pass = 0,
    /// At least one name would fail validation.
    Fail = 1,
    /// The check could not be made.
    Error = 2,
    /// Interrupted by SIGINT, after cleanup (128 + 2).
    Interrupted = 130,
    /// Stopped by SIGTERM, after cleanup (128 + 15).
    Terminated = 143,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable() {
        assert_eq!(Exit::Pass as u8, 0);
        assert_eq!(Exit::Fail as u8, 1);
        assert_eq!(Exit::Error as u8, 2);
        assert_eq!(Exit::Interrupted as u8, 130);
        assert_eq!(Exit::Terminated as u8, 143);
    }
}
