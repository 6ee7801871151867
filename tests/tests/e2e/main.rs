//! The end-to-end suite, one test binary (one build and one link instead of one per
//! file): the whole API over HTTP against the AWS emulator, the console, the CLI's
//! clients, the contracts with template.yaml and the OpenAPI document. Each module is
//! one area; nextest runs every test in its own process, filtered by module
//! (`scripts/test.sh -E 'test(/^usage::/)'`).

mod abuse;
mod activity;
mod assignments;
mod authorization;
mod browser;
mod catalog;
mod configs;
mod console;
mod contract;
mod costs;
mod demo;
mod employees;
mod faults;
mod lambda;
mod onboarding;
mod organizations;
mod policies;
mod requests;
mod scim;
mod sessions;
mod sso;
mod sync;
mod teams;
mod telemetry;
mod usage;
mod webhooks;
