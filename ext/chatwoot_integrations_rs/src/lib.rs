//! Ruby binding for the `chatwoot_integrations` core crate: conversion, GVL handling and error
//! mapping only. Each Ruby class or module has one module here with its own `init`.

mod apps;
mod configuration;
mod delivery_result;
mod dispatch;
mod durable;
mod dyte;
mod errors;
mod google_translate;
mod helpers;
mod json_values;
mod linear;
mod namespace;
mod openai;
mod payload;
mod send_service;
mod signature;
mod slack;

use magnus::{Error, Ruby};

/// Every Rust allocation in the extension (see Cargo.toml for why not glibc's malloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Called by Ruby's `require`. The exception classes (defined in Ruby, lib/integrations/native/errors.rb)
/// are looked up first, so a missing one fails the load rather than the first error.
#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    errors::init(ruby)?;
    helpers::panic::init(ruby)?;
    signature::init(ruby)?;
    configuration::init(ruby)?;
    delivery_result::init(ruby)?;
    dispatch::init(ruby)?;
    durable::init(ruby)?;
    slack::init(ruby)?;
    payload::init(ruby)?;
    send_service::init(ruby)?;
    apps::init(ruby)?;
    linear::init(ruby)?;
    openai::init(ruby)?;
    google_translate::init(ruby)?;
    dyte::init(ruby)?;
    Ok(())
}
