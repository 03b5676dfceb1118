//! `capsim demands`: CPU demand per class and service from monitoring windows.
