//! The peer benchmark's wasm side: holds the compiled playbook and the leads
//! (already converted to `Submission`s) inside wasm, and scores them in a loop
//! inside wasm so the timing measures the engine, not the JS↔wasm boundary.
//! It only measures: no rule logic lives here.
