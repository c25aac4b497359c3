//! SPA
