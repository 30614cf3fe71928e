//! Finding an event among the events of an extrinsic (what [`crate::submit`] returns).

use ehr_client::runtime::RuntimeEvent;

/// The value of the first event of `$events` (anything that iterates over `&RuntimeEvent`) that
/// matches `$pattern`: `find_event!(events, RuntimeEvent::X(x::Event::Y { id, .. }) => *id)`.
///
/// # Panics
///
/// If no event matches, naming the pattern and listing the events.
#[macro_export]
macro_rules! find_event {
	($events:expr, $pattern:pat => $value:expr $(,)?) => {{
		let events = &$events;
		events
			.iter()
			.find_map(|event| match event {
				$pattern => Some($value),
				_ => None,
			})
			.unwrap_or_else(|| panic!("no {} among {:?}", stringify!($pattern), events))
	}};
}

/// The id of the first record `events` announce as added (`RecordAdded`).
///
/// # Panics
///
/// If none is.
pub fn record_added(events: &[RuntimeEvent]) -> u64 {
	crate::find_event!(
		events,
		RuntimeEvent::PatientRecords(pallet_patient_records::Event::RecordAdded { record, .. }) =>
			*record
	)
}

/// The ids of the records `events` announce as added (`RecordAdded`), in order.
pub fn records_added(events: &[RuntimeEvent]) -> Vec<u64> {
	events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::PatientRecords(pallet_patient_records::Event::RecordAdded {
				record,
				..
			}) => Some(*record),
			_ => None,
		})
		.collect()
}
