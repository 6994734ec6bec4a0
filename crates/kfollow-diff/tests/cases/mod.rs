mod attachments;
mod checks;
mod in_flight;
mod leader;
mod ordering;
mod roundtrip;
mod settings;
mod share;
