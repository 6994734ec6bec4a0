mod access;
mod attachments;
mod checks;
mod leader;
mod ordering;
mod roundtrip;
mod settings;
mod share;
