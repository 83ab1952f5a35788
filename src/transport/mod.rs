//! Adapters that implement [`crate::chip::CardTransport`] over real readers. This is the only
//! module that knows the `pcsc` crate.

pub mod pcsc;
