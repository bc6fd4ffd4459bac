//! One component per file, like yew's function_todomvc.

pub mod app;
pub mod check_input;
pub mod choice_group;
pub mod field;
pub mod outcome;
pub mod select_input;
pub mod text_input;
pub mod verdict;
