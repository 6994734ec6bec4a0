mod attachments;
mod checks;
mod freshness;
mod leader;
mod ordering;
mod roundtrip;
mod settings;
mod share;
