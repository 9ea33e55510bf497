//! The console's schemes section, over HTTP and in headless Chromium.
